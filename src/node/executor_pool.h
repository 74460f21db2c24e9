// ExecutorPool: the node's executors (executor.h), one thread each, and the
// gate that gives the node the runtime to itself between their tasks.
//
// Each loaded module is placed on one executor (runtime::Runtime::executor_of)
// and only that executor calls into it, so calls to modules of different
// executors run at the same time. Every task runs holding the gate shared;
// `exclusive` holds it alone: it starts once the running tasks have finished,
// and no task starts until it ends (a waiting exclusive section goes before
// tasks posted later, so a stream of calls cannot starve it). The node changes
// the set of modules, the authority policy and captures snapshots there.
//
// Threading: post/run/exclusive/shared from any thread, except that an
// executor's task must not call run() for another executor, exclusive() or
// shared() (it holds the gate: each would wait for itself).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "base/mutex.h"
#include "node/executor.h"

namespace interstice::node {

// A readers-writer lock whose writer waits only for the readers it found:
// readers that come after a waiting writer wait for it.
class WriterFirstGate {
 public:
  void lock_shared();
  void unlock_shared();
  void lock();
  void unlock();

 private:
  base::Mutex mutex_;
  base::CondVar changed_;
  uint32_t readers_ GUARDED_BY(mutex_) = 0;
  uint32_t writers_waiting_ GUARDED_BY(mutex_) = 0;
  bool writer_ GUARDED_BY(mutex_) = false;
};

class ExecutorPool {
 public:
  explicit ExecutorPool(uint32_t count);
  ~ExecutorPool();
  ExecutorPool(const ExecutorPool&) = delete;
  ExecutorPool& operator=(const ExecutorPool&) = delete;

  uint32_t size() const { return static_cast<uint32_t>(executors_.size()); }
  // Tasks waiting for each executor (GET /metrics).
  std::vector<size_t> queue_depths() const {
    std::vector<size_t> depths;
    for (const auto& e : executors_) depths.push_back(e->queued());
    return depths;
  }
  // Queues `task` on `executor`; false (task dropped) once stopping.
  bool post(uint32_t executor, std::function<void()> task);
  // Runs `task` on `executor` and waits for it (here, if this thread is that
  // executor). False if it stopped first.
  bool run(uint32_t executor, const std::function<void()>& task);
  // Runs `fn` while no task runs. Never from a task (it would wait for
  // itself): that aborts.
  template <typename F>
  decltype(auto) exclusive(F&& fn) {
    if (current()) abort_from_task("exclusive");
    std::lock_guard hold(gate_);
    return fn();
  }
  // Runs `fn` while no exclusive section does (to read what they change);
  // from a task, at once (the task holds the gate already).
  template <typename F>
  decltype(auto) shared(F&& fn) {
    if (current()) return fn();
    std::shared_lock hold(gate_);
    return fn();
  }
  // The executor whose thread this is, if any.
  std::optional<uint32_t> current() const;
  // Runs what was posted and what that posts, until nothing is left; then
  // refuses more and joins the threads. Not from a task.
  void stop();

 private:
  [[noreturn]] static void abort_from_task(const char* what);
  WriterFirstGate gate_;
  std::vector<std::unique_ptr<Executor>> executors_;  // fixed at construction
  std::atomic<uint64_t> posted_{0};                   // tasks posted, ever
};

}  // namespace interstice::node
