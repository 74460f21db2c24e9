// Scheduler: fires the rows of scheduled tables when they come due
// (docs/sdk.md, "Schedules"). Its thread sleeps until the earliest time a
// scheduled table reported, a second at most, or until woken (a transaction
// wrote a scheduled table, the set of modules changed); it then posts a scan
// of each scheduled table to the executor of its module, which fires what is
// due (Runtime::fire_due) and reports when the table next needs a look.
// Firings are ordinary logged transactions, so replay needs no scheduler.
//
// Threading: start, stop, set_tables and wake from any thread; the scans
// run on the modules' executors and report back under the mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace interstice::node {

class Scheduler {
 public:
  struct ScheduledTable {
    std::string module;
    std::string table;
  };
  // Runs `task` on `module`'s executor; false if it cannot (stopping).
  using Post = std::function<bool(const std::string& module, std::function<void()> task)>;
  // Fires what is due in `table` now; when it next needs a look (or nullopt).
  using Scan = std::function<std::optional<int64_t>(const ScheduledTable& table)>;

  // `now`: microseconds since the epoch, the clock the runtime stamps with.
  Scheduler(std::function<int64_t()> now, Post post, Scan scan);
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void stop();
  // The scheduled tables of the loaded modules (after every change of the
  // set); looks at them at once.
  void set_tables(std::vector<ScheduledTable> tables);
  // Looks at every scheduled table at once.
  void wake();

 private:
  void loop();
  void report(std::optional<int64_t> next_us);

  const std::function<int64_t()> now_;
  const Post post_;
  const Scan scan_;
  base::Mutex mutex_;
  base::CondVar changed_;
  std::vector<ScheduledTable> tables_ GUARDED_BY(mutex_);
  int64_t next_us_ GUARDED_BY(mutex_) = 0;  // when to look again
  bool woken_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace interstice::node
