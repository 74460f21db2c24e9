#include "node/query_deadlines.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/thread_name.h"

namespace interstice::node {

namespace {
// The clock may move (it is the wall clock): look again at least this often.
constexpr int64_t kLongestSleepUs = 1'000'000;
}  // namespace

QueryDeadlines::QueryDeadlines(std::function<int64_t()> now,
                               std::function<void(uint64_t call_id)> expired)
    : now_(std::move(now)), expired_(std::move(expired)) {}

QueryDeadlines::~QueryDeadlines() {
  stop();
}

void QueryDeadlines::start() {
  thread_ = std::thread([this] {
    base::name_this_thread("query timeouts");
    loop();
  });
}

void QueryDeadlines::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueryDeadlines::add(uint64_t call_id, int64_t deadline_us) {
  bool earliest;
  {
    base::MutexLock lock(mutex_);
    auto [it, fresh] = by_call_.try_emplace(call_id, deadline_us);
    if (!fresh) return;
    by_time_.emplace(deadline_us, call_id);
    earliest = by_time_.begin()->second == call_id;
  }
  if (earliest) changed_.notify_all();
}

void QueryDeadlines::forget(uint64_t call_id) {
  base::MutexLock lock(mutex_);
  auto it = by_call_.find(call_id);
  if (it == by_call_.end()) return;
  by_time_.erase({it->second, call_id});
  by_call_.erase(it);
}

size_t QueryDeadlines::size() const {
  base::MutexLock lock(mutex_);
  return by_call_.size();
}

void QueryDeadlines::loop() {
  base::MutexLock lock(mutex_);
  while (!stopping_) {
    int64_t now = now_();
    std::vector<uint64_t> due;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
      uint64_t id = by_time_.begin()->second;
      by_time_.erase(by_time_.begin());
      by_call_.erase(id);
      due.push_back(id);
    }
    if (!due.empty()) {
      lock.unlock();
      for (uint64_t id : due) expired_(id);
      lock.lock();
      continue;
    }
    int64_t sleep_us = by_time_.empty() ? kLongestSleepUs
                                        : std::min(by_time_.begin()->first - now, kLongestSleepUs);
    changed_.wait_until(lock,
                        std::chrono::steady_clock::now() + std::chrono::microseconds(sleep_us));
  }
}

}  // namespace interstice::node
