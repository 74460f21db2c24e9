// SnapshotTaker: when the node takes a snapshot, and the writing of it.
//
// A snapshot is due every `every` transactions (maybe_take, after each call).
// One is taken at a time: it is captured with no reducer running (the owner's
// `capture`, called either in the calling task, when that task is the only
// one that changes tables, or from the taker's thread through
// `capture_exclusive`, which enters an exclusive section), then written once
// the log holds everything it includes, and the retention policy applied.
// A call that finds the previous snapshot still being written waits for it
// (so snapshots never fall behind); one still waiting to capture is left
// alone (it will capture a newer state, and waiting for it inside a task
// would wait for the exclusive section that the task holds off).
//
// Threading: maybe_take from executor tasks; take_now inside an exclusive
// section; join never inside one (the taker's thread may be waiting for it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/env.h"
#include "base/mutex.h"
#include "node/commit_pipeline.h"
#include "storage/snapshot.h"

namespace interstice::node {

class SnapshotTaker {
 public:
  struct Options {
    base::Env* env = nullptr;
    std::filesystem::path data_dir;  // snapshots go to DATA_DIR/snapshots
    uint64_t every = 0;              // transactions between snapshots (0: none)
    storage::Durability durability = storage::Durability::Group;
    storage::Retention retention = storage::Retention::Keep;
  };
  using Capture = std::function<storage::SnapshotData()>;

  SnapshotTaker(Options options, CommitPipeline& commits, Capture capture,
                Capture capture_exclusive);
  ~SnapshotTaker();  // join()
  SnapshotTaker(const SnapshotTaker&) = delete;
  SnapshotTaker& operator=(const SnapshotTaker&) = delete;

  // After a transaction: starts a snapshot if one is due. `capture_here`:
  // the calling task is the only one changing tables, so it captures itself.
  void maybe_take(bool capture_here);
  // Captures and writes one now (inside an exclusive section), so recovery
  // starts after a change of modules.
  void take_now();
  // Writes `data` once the log holds what it includes; an older one than
  // the newest written is dropped.
  void write(storage::SnapshotData data);
  // Waits for the taker's thread, if it runs.
  void join();
  // The offset of the newest snapshot taken or started.
  uint64_t newest() const;
  // At recovery: the snapshot restored. After a failed log write is undone:
  // no newer than `good`.
  void set_newest(uint64_t offset);
  void lower_to(uint64_t good);

 private:
  enum class Phase { Idle, Capturing, Writing };  // of thread_

  const Options options_;
  CommitPipeline& commits_;
  const Capture capture_, capture_exclusive_;
  mutable base::Mutex mutex_;
  uint64_t newest_ GUARDED_BY(mutex_) = 0;
  Phase phase_ GUARDED_BY(mutex_) = Phase::Idle;
  std::thread thread_ GUARDED_BY(mutex_);          // started and moved out under mutex_
  base::Mutex write_mutex_;                        // one write at a time
  uint64_t written_ GUARDED_BY(write_mutex_) = 0;  // the newest offset written
};

}  // namespace interstice::node
