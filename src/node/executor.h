// Executor: one thread that runs reducers (the node has a pool of them:
// executor_pool.h). Input sources
// (HTTP workers, the peer server's and the outbox's I/O threads) post a task
// and go on (peers) or wait for its outcome (HTTP); so no reducer runs on an
// I/O thread, and a runaway reducer delays the executor only: network I/O,
// handshakes and health checks keep going. Tasks run one at a time, in the
// order they were posted, which is the order in which their transactions
// commit.
//
// Threading: post() from any thread; tasks run on the executor's thread.
// stop() runs what is already queued (so a waiting caller gets its answer),
// refuses later posts, and joins the thread.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "base/mutex.h"

namespace interstice::node {

class Executor {
 public:
  Executor();
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false (and `task` dropped) once stop() began.
  bool post(std::function<void()> task);
  // Runs `task` on the executor and waits for it to finish; runs it here if
  // called from a task (which would otherwise wait for itself). False if the
  // executor stopped before it could run.
  bool run(const std::function<void()>& task);
  void stop();
  // Tasks waiting to run (not counting the one running).
  size_t queued() const EXCLUDES(mutex_);
  // The executor whose thread calls this, or null.
  static const Executor* current();

 private:
  void loop();

  mutable base::Mutex mutex_;
  base::CondVar ready_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool idle_ GUARDED_BY(mutex_) = false;  // loop() waits for a task: post() wakes it
  std::thread thread_;                    // runs loop(); last, so the rest exists first
};

}  // namespace interstice::node
