// Executor: the one thread that runs the node's reducers. Input sources
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

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

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

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::thread thread_;                       // runs loop(); last, so the rest exists first
};

}  // namespace interstice::node
