// CommitPipeline: where committed transactions go. Each one's record (its
// inputs and effects, storage/tx_record.h) is appended to the log as it
// commits, from whichever executor ran it: the log's order is the commit
// order. Acknowledgements wait, in offset order, until the log has made their
// transaction durable, and are answered from the pipeline's own thread, so
// one fsync answers a whole batch (group commit).
//
// When a log write fails (LogOptions::on_failure calls note_log_failure), the
// pipeline's thread calls `undo`: the owner undoes every transaction after the
// log's last good record, with no reducer running, and calls settle_failure
// there; the acknowledgements after that record then fail, the others are
// answered, and the log goes on (or `undo` is tried again 200 ms later).
//
// Threading: append, when_durable, note_log_failure and the readers from any
// thread; `done` callbacks and `undo` run on the pipeline's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "runtime/runtime.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {

class CommitPipeline {
 public:
  // Undoes what the failed log lost (see above); true once the log goes on.
  using Undo = std::function<bool()>;
  using Done = std::function<void(base::Result<void>)>;

  CommitPipeline(std::unique_ptr<storage::TransactionLog> log, storage::Durability durability);
  ~CommitPipeline();  // stop()
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  storage::TransactionLog& log() { return *log_; }
  // Starts the acknowledging thread.
  void start(Undo undo);
  // Answers what waits (failing it if the log failed and was not undone),
  // then joins the thread.
  void stop();

  // Appends the record of `tx`; its offset.
  base::Result<uint64_t> append(const runtime::CommittedTransaction& tx);
  // Appends a record that is not a committed transaction (a lifecycle
  // record, storage/lifecycle_record.h); its offset.
  base::Result<uint64_t> append(const storage::TxRecord& record);
  // The offset of the last record this thread appended: what a call it ran
  // waits for.
  static uint64_t last_appended_by_this_thread();
  // The highest offset appended (all of them, once no reducer runs).
  uint64_t last_logged() const { return last_logged_.load(); }
  // After `undo`, or at recovery: the log ends at `offset`.
  void set_last_logged(uint64_t offset) { last_logged_.store(offset); }

  // Calls `done` once `offset` is durable (with an error if the log lost it).
  void when_durable(uint64_t offset, Done done);
  // The log's on_failure: the pipeline's thread undoes.
  void note_log_failure();
  bool log_failed() const;
  // Acknowledgements waiting for their offset to be durable (GET /metrics).
  size_t waiting() const;
  // Inside `undo`, with no reducer running: the acknowledgements after
  // `good` fail, the others succeed (answered once `undo` returns), and if
  // `recovered` the log counts as working again.
  void settle_failure(uint64_t good, bool recovered);

 private:
  struct PendingAck {
    uint64_t offset;
    Done done;
  };
  base::Result<uint64_t> append_bytes(std::span<const uint8_t> bytes,
                                      const std::vector<std::string>& tags);
  void acknowledge_loop();
  // Answers what settle_failure set aside (on the pipeline's thread).
  void answer_settled();

  const storage::Durability durability_;
  Undo undo_;  // set by start(), before the thread exists
  std::atomic<uint64_t> last_logged_{0};

  mutable base::Mutex mutex_;
  base::CondVar changed_;
  std::deque<PendingAck> acks_ GUARDED_BY(mutex_);  // in offset order
  // settle_failure's verdicts, answered by the thread after `undo`.
  std::vector<std::pair<PendingAck, bool>> settled_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool idle_ GUARDED_BY(mutex_) = false;        // the thread waits: when_durable wakes it
  bool log_failed_ GUARDED_BY(mutex_) = false;  // set by note_log_failure
  std::thread thread_;
  // Last, so destroyed first: its writer thread may call note_log_failure.
  std::unique_ptr<storage::TransactionLog> log_;
};

}  // namespace interstice::node
