// Recovery: the node's recoverable state and bringing it back
// (docs/storage.md, "Recovery"). That state is the tables, which modules
// ran init, and the calls between nodes to remember (CallLedger).
//
// Contract:
// - recover, once at start with the modules loaded: restores the newest
//   intact snapshot, re-applies the log after it (a log that ends before the
//   snapshot continues after it, its segments archived), then runs init for
//   the modules that never ran it, and syncs the log.
// - undo_after_log_failure, after the log failed to write
//   (LogOptions::on_failure): undoes every transaction after the log's last
//   good record by rebuilding the logged tables from the newest snapshot and
//   the log up to that record, fails the acknowledgements waiting for the
//   lost records, and lets the log go on. False if it must be tried again
//   (the log stays failed; the acknowledgements still fail).
// - capture: the state for a snapshot, as of the last logged transaction.
//
// Threading: every method runs with no reducer running: inside an exclusive
// section, or (capture) in the only task that changes tables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "node/call_ledger.h"
#include "node/commit_pipeline.h"
#include "node/snapshot_taker.h"
#include "runtime/runtime.h"
#include "storage/lifecycle_record.h"
#include "storage/snapshot.h"

namespace interstice::node {

class Recovery {
 public:
  Recovery(base::Env& env, std::filesystem::path data_dir, runtime::Runtime& runtime,
           CallLedger& ledger, CommitPipeline& commits, SnapshotTaker& snapshots);

  // `modules`: the loaded modules, logged in the node-start record
  // (storage/lifecycle_record.h) between the recovered log and the inits.
  base::Result<void> recover(const std::vector<storage::ModuleVersion>& modules);
  // Transactions re-applied from the log by recover.
  uint64_t recovered() const { return recovered_; }
  bool undo_after_log_failure();
  storage::SnapshotData capture();

  // A module ran init (installed), or was removed (installed again later,
  // it starts afresh).
  void mark_initialized(const std::string& module) { initialized_.insert(module); }
  void forget(const std::string& module) { initialized_.erase(module); }

 private:
  // Restores the newest intact snapshot (only its logged tables, the others
  // kept, if `logged_only`); returns its offset (0: none).
  base::Result<uint64_t> restore_snapshot(bool logged_only);
  // Re-applies the log's records from `from` to `until` to the tables, with
  // what they say of init and of calls between nodes; returns how many.
  // Damage after `until` does not matter once `until` was reached.
  base::Result<uint64_t> apply_log(uint64_t from, uint64_t until);

  base::Env& env_;
  const std::filesystem::path data_dir_;
  runtime::Runtime& runtime_;
  CallLedger& ledger_;
  CommitPipeline& commits_;
  SnapshotTaker& snapshots_;
  std::set<std::string> initialized_;  // modules that ran init (see Threading)
  uint64_t recovered_ = 0;             // set by recover
};

}  // namespace interstice::node
