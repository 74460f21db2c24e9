#include "node/executor.h"

#include <future>

#include "base/thread_name.h"

namespace interstice::node {
namespace {
thread_local const Executor* current_executor = nullptr;  // the executor running this thread
}  // namespace

Executor::Executor() : thread_([this] { loop(); }) {}

const Executor* Executor::current() {
  return current_executor;
}

Executor::~Executor() {
  stop();
}

size_t Executor::queued() const {
  base::MutexLock lock(mutex_);
  return tasks_.size();
}

bool Executor::post(std::function<void()> task) {
  {
    base::MutexLock lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
    if (!idle_) return true;  // busy: it takes the task when it looks again
  }
  ready_.notify_one();
  return true;
}

bool Executor::run(const std::function<void()>& task) {
  if (current_executor == this) {
    task();
    return true;
  }
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  if (!post([&] {
        task();
        done.set_value();
      }))
    return false;
  finished.wait();
  return true;
}

void Executor::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Executor::loop() {
  current_executor = this;
  base::name_this_thread("executor");
  base::MutexLock lock(mutex_);
  for (;;) {
    while (!stopping_ && tasks_.empty()) {
      idle_ = true;
      ready_.wait(lock);
      idle_ = false;
    }
    if (tasks_.empty()) return;               // stopping, and everything queued has run
    std::deque<std::function<void()>> batch;  // all that is queued, in order
    batch.swap(tasks_);
    lock.unlock();
    for (std::function<void()>& task : batch) task();
    lock.lock();
  }
}

}  // namespace interstice::node
