#include "node/executor_pool.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <shared_mutex>

namespace interstice::node {

void WriterFirstGate::lock_shared() {
  base::MutexLock lock(mutex_);
  while (writer_ || writers_waiting_ > 0) changed_.wait(lock);
  ++readers_;
}

void WriterFirstGate::unlock_shared() {
  {
    base::MutexLock lock(mutex_);
    if (--readers_ > 0) return;
  }
  changed_.notify_all();
}

void WriterFirstGate::lock() {
  base::MutexLock lock(mutex_);
  ++writers_waiting_;
  while (writer_ || readers_ > 0) changed_.wait(lock);
  --writers_waiting_;
  writer_ = true;
}

void WriterFirstGate::unlock() {
  {
    base::MutexLock lock(mutex_);
    writer_ = false;
  }
  changed_.notify_all();
}

ExecutorPool::ExecutorPool(uint32_t count) {
  for (uint32_t i = 0; i < std::max<uint32_t>(count, 1); ++i)
    executors_.push_back(std::make_unique<Executor>());
}

ExecutorPool::~ExecutorPool() {
  stop();
}

bool ExecutorPool::post(uint32_t executor, std::function<void()> task) {
  posted_.fetch_add(1, std::memory_order_relaxed);
  return executors_.at(executor)->post([this, task = std::move(task)] {
    std::shared_lock hold(gate_);
    task();
  });
}

bool ExecutorPool::run(uint32_t executor, const std::function<void()>& task) {
  Executor& target = *executors_.at(executor);
  if (Executor::current() == &target) {  // a task of its own: the gate is held
    task();
    return true;
  }
  return target.run([&] {
    std::shared_lock hold(gate_);
    task();
  });
}

std::optional<uint32_t> ExecutorPool::current() const {
  const Executor* running = Executor::current();
  for (uint32_t i = 0; i < executors_.size(); ++i)
    if (executors_[i].get() == running) return i;
  return std::nullopt;
}

void ExecutorPool::abort_from_task(const char* what) {
  spdlog::critical("ExecutorPool::{} called from an executor's task: it would wait for itself",
                   what);
  std::abort();
}

void ExecutorPool::stop() {
  // Tasks post to other executors (forwarded calls), so each may receive
  // work after it would have stopped: first let the pool go quiet, a pass in
  // which every executor finished what it had and nothing new was posted.
  for (uint64_t before = ~uint64_t{0}; before != posted_.load();) {
    before = posted_.load();
    for (auto& executor : executors_) executor->run([] {});  // what it has, then this
  }
  for (auto& executor : executors_) executor->stop();
}

}  // namespace interstice::node
