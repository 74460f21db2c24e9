#include "node/executor.h"

#include <future>

namespace interstice::node {
namespace {
thread_local const Executor* current_executor = nullptr;  // the executor running this thread
}  // namespace

Executor::Executor() : thread_([this] { loop(); }) {}

Executor::~Executor() {
  stop();
}

bool Executor::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
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
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Executor::loop() {
  current_executor = this;
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, and everything queued has run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace interstice::node
