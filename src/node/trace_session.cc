#include "node/trace_session.h"

#include "base/thread_name.h"

namespace interstice::node {

TraceSession::~TraceSession() {
  std::thread last;
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
    last = std::move(thread_);
  }
  stop_.notify_all();
  if (last.joinable()) last.join();
}

bool TraceSession::record(std::chrono::milliseconds duration,
                          std::function<void(nlohmann::json)> done) {
  base::MutexLock lock(mutex_);
  if (stopping_ || !tracer_.start()) return false;
  // The previous recording has stopped its tracer: its thread is done or
  // about to be.
  if (thread_.joinable()) thread_.join();
  thread_ = std::thread([this, duration, done = std::move(done)] {
    base::name_this_thread("trace");
    {
      base::MutexLock lock(mutex_);
      auto until = std::chrono::steady_clock::now() + duration;
      while (!stopping_)
        if (!stop_.wait_until(lock, until)) break;
    }
    done(tracer_.stop());
  });
  return true;
}

}  // namespace interstice::node
