// QueryDeadlines: when the remote queries this node's modules asked time out
// (docs/sdk.md, "Queries"). Its thread sleeps until the earliest deadline
// and then hands each expired call id to `expired` (which runs the caller's
// callback with "timed out", as a logged transaction). A query answered
// first is forgotten. Deadlines are on the clock the runtime stamps
// transactions with, so a query asked before a restart whose deadline passed
// meanwhile times out as soon as the node is up.
//
// Threading: add, forget, start and stop from any thread; `expired` runs on
// the watcher's thread, with no lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "base/mutex.h"

namespace interstice::node {

class QueryDeadlines {
 public:
  // `now`: microseconds since the epoch.
  QueryDeadlines(std::function<int64_t()> now, std::function<void(uint64_t call_id)> expired);
  ~QueryDeadlines();  // stop()
  QueryDeadlines(const QueryDeadlines&) = delete;
  QueryDeadlines& operator=(const QueryDeadlines&) = delete;

  void start();
  void stop();
  void add(uint64_t call_id, int64_t deadline_us);
  void forget(uint64_t call_id);
  size_t size() const;

 private:
  void loop();

  const std::function<int64_t()> now_;
  const std::function<void(uint64_t)> expired_;
  mutable base::Mutex mutex_;
  base::CondVar changed_;
  std::set<std::pair<int64_t, uint64_t>> by_time_ GUARDED_BY(mutex_);  // (deadline, call id)
  std::map<uint64_t, int64_t> by_call_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace interstice::node
