#include "node/scheduler.h"

#include <algorithm>
#include <chrono>

#include "base/thread_name.h"

namespace interstice::node {

namespace {
constexpr int64_t kLongestSleepUs = 1'000'000;
}

Scheduler::Scheduler(std::function<int64_t()> now, Post post, Scan scan)
    : now_(std::move(now)), post_(std::move(post)), scan_(std::move(scan)) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  thread_ = std::thread([this] {
    base::name_this_thread("scheduler");
    loop();
  });
}

void Scheduler::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::set_tables(std::vector<ScheduledTable> tables) {
  {
    base::MutexLock lock(mutex_);
    tables_ = std::move(tables);
    woken_ = true;
  }
  changed_.notify_all();
}

void Scheduler::wake() {
  {
    base::MutexLock lock(mutex_);
    if (woken_) return;
    woken_ = true;
  }
  changed_.notify_all();
}

void Scheduler::report(std::optional<int64_t> next_us) {
  if (!next_us) return;
  bool sooner;
  {
    base::MutexLock lock(mutex_);
    sooner = *next_us < next_us_;
    next_us_ = std::min(next_us_, *next_us);
  }
  if (sooner) changed_.notify_all();
}

void Scheduler::loop() {
  base::MutexLock lock(mutex_);
  while (!stopping_) {
    int64_t now = now_();
    if (!woken_ && next_us_ > now) {
      int64_t sleep_us = std::min(next_us_ - now, kLongestSleepUs);
      changed_.wait_until(lock,
                          std::chrono::steady_clock::now() + std::chrono::microseconds(sleep_us));
      continue;
    }
    woken_ = false;
    next_us_ = now + kLongestSleepUs;
    std::vector<ScheduledTable> tables = tables_;
    if (tables.empty()) next_us_ = INT64_MAX;  // until set_tables wakes it
    lock.unlock();
    for (const ScheduledTable& t : tables) post_(t.module, [this, t] { report(scan_(t)); });
    lock.lock();
  }
}

}  // namespace interstice::node
