// TransactionLog: the append-only, segmented log of committed transactions
// (byte format in docs/storage.md). Each record carries its transaction
// offset (1, 2, 3, ...) and a CRC-32C.
//
// Opening a log verifies every record. A torn tail (a partial record or a bad
// checksum at the very end of the last segment, as a crash leaves it) is
// truncated with a warning. Anything wrong before the end is corruption: open
// fails with the segment, byte position and problem, and nothing is changed
// (`repair` can cut the log there).
//
// Durability: `append` hands a record to the log; `wait_durable(offset)`
// returns once it is on disk, according to the mode:
//   Sync   every append is written and fsync'd before it returns;
//   Group  appends collect in memory; a background thread writes and fsyncs
//          each batch as soon as the previous one is durable (after at most
//          `group_delay` more waiting), so one fsync covers many records
//          (group commit);
//   None   records are written in 1 MiB batches and never fsync'd by the log
//          (lost on a crash until the OS writes them back).
// Thread-safe: appends and waits may come from different threads.
//
// A failed write or fsync: in Sync mode the record is cut off again at once
// and append returns the error (the log goes on). In Group and None modes
// records appended before it may be lost with it, so the log refuses every
// append (it is "failed") and tells LogOptions::on_failure; the owner undoes
// what it did after the last good record (good_offset()) and calls
// reset_after_failure(), which cuts the segment back to that record.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/env.h"
#include "base/mutex.h"

namespace interstice::storage {

// The storage layer reaches files through the base layer's Env.
using base::Env;
using base::Error;
using base::Result;
using base::WritableFile;

enum class Durability { Sync, Group, None };

struct LogOptions {
  Durability durability = Durability::Group;
  std::chrono::microseconds group_delay{200};
  uint64_t segment_bytes = 64ull << 20;  // a new segment starts past this size
  // Optional: the tags of a record's payload (e.g. "module", "module.table"),
  // used at open to rebuild the open segment's tags. Records are appended
  // with their tags; when a segment is sealed, the union of its records' tags
  // is written beside it (NAME.tags), so read_tagged() can skip segments.
  std::function<std::vector<std::string>(std::span<const uint8_t> payload)> tags;
  // Optional: called once when a write or fsync fails and the log starts
  // refusing appends (Group, None), from the thread that saw it (an
  // appender or the group thread), without the log's lock.
  std::function<void()> on_failure;
};

// Where the log was found damaged.
struct Corruption {
  std::string segment;    // file name
  uint64_t position = 0;  // byte position in the segment
  std::string problem;
  std::string describe() const;
};

// The first offset of a segment file name ("<20 digits>.log"), or nullopt
// for any other name (such files in the log directory are not segments).
std::optional<uint64_t> segment_first_offset(std::string_view name);

class TransactionLog {
 public:
  ~TransactionLog();

  // Opens (creating if needed) the log in `dir`, recovering a torn tail.
  // `warnings` receives what was truncated, if anything.
  [[nodiscard]] static Result<std::unique_ptr<TransactionLog>> open(
      Env& env, const std::filesystem::path& dir, LogOptions options,
      std::vector<std::string>* warnings);

  // Appends one record with its tags; returns its offset. In Sync mode it is
  // durable on return.
  Result<uint64_t> append(std::span<const uint8_t> payload,
                          const std::vector<std::string>& tags = {});
  // Blocks until `offset` is durable (Group), or returns at once (Sync, None).
  Result<void> wait_durable(uint64_t offset);
  // Forces everything appended so far to disk.
  Result<void> sync();

  uint64_t last_offset() const;
  uint64_t durable_offset() const;
  // The last record written in full (and fsync'd, except in None mode):
  // what survives a failure.
  uint64_t good_offset() const;
  // Whether a failed write or fsync makes the log refuse appends.
  bool failed() const;
  // After a failure: cuts the current segment back to the end of the last
  // good record (removing any segment started after it), clears the
  // failure and lets appends go on at good_offset() + 1, which it returns.
  // Records appended after good_offset() are gone: the caller must undo
  // them. On error the log stays failed (try again later).
  Result<uint64_t> reset_after_failure();
  // For a log that ends before `next` - 1 because a snapshot holds the
  // records it lost: every segment moves, unchanged, to DIR/archive/, and
  // the log continues with a new segment at offset `next` (after the
  // snapshot's), so offsets never go back. Only before the first append.
  Result<void> continue_at(uint64_t next);
  uint64_t bytes_written() const;

  // Reads every record with offset >= `from`, in order, calling
  // `visit(offset, payload)`; stops early when visit returns false.
  static Result<void> read(Env& env, const std::filesystem::path& dir, uint64_t from,
                           const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit);
  // Like read(), but skips sealed segments whose tags file shows that none of
  // their records carries `tag` (records are still passed to `visit`
  // unfiltered: the caller decides per record).
  static Result<void> read_tagged(
      Env& env, const std::filesystem::path& dir, uint64_t from, const std::string& tag,
      const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit);
  // Scans the log without changing it; the first damage found, if any.
  static Result<std::optional<Corruption>> check(Env& env, const std::filesystem::path& dir);
  // Cuts the log at `at`: the segment is truncated there and later ones removed.
  static Result<void> repair(Env& env, const std::filesystem::path& dir, const Corruption& at);

 private:
  TransactionLog(Env& env, std::filesystem::path dir, LogOptions options);
  Result<void> open_segment(uint64_t first_offset) REQUIRES(mutex_);
  // Writes the pending batch to the current segment, after any batch the
  // group thread is writing (waiting on `lock`, which holds mutex_).
  Result<void> write_pending(base::MutexLock& lock) REQUIRES(mutex_);
  Result<uint64_t> append_locked(std::span<const uint8_t> payload,
                                 const std::vector<std::string>& tags, bool* failed_now)
      EXCLUDES(mutex_);
  // Records a failure; in Sync mode cuts the failed record off at once. True
  // if on_failure must be told (a new failure that the log did not get over
  // by itself).
  bool fail(base::MutexLock& lock, const std::string& message) REQUIRES(mutex_);
  Result<uint64_t> reset_locked(base::MutexLock& lock) REQUIRES(mutex_);
  // The good end moves to everything written so far.
  void mark_good() REQUIRES(mutex_);
  // Waits until the group thread is not writing a batch.
  void wait_not_flushing(base::MutexLock& lock) REQUIRES(mutex_);
  void group_loop() EXCLUDES(mutex_);

  Env& env_;
  const std::filesystem::path dir_;
  const LogOptions options_;
  mutable base::Mutex mutex_;
  base::CondVar durable_changed_;  // durable_offset_, failure_, flushing_ or the segment changed
  base::CondVar work_;             // pending_ or stopping_ changed (the group thread waits)
  // The current segment. Replaced under mutex_; written through under it, or
  // by the group thread alone while flushing_ (without the lock).
  std::unique_ptr<WritableFile> segment_ GUARDED_BY(mutex_);
  std::vector<uint8_t> pending_ GUARDED_BY(mutex_);  // encoded records not yet written
  uint64_t pending_last_ GUARDED_BY(mutex_) = 0;     // the offset of the last record in pending_
  bool flushing_ GUARDED_BY(mutex_) = false;         // the group thread is writing a batch unlocked
  std::set<std::string> segment_tags_ GUARDED_BY(mutex_);  // tags of the current segment's records
  std::string segment_name_ GUARDED_BY(mutex_);            // the current segment's file name
  uint64_t next_offset_ GUARDED_BY(mutex_) = 1;
  uint64_t durable_offset_ GUARDED_BY(mutex_) = 0;
  uint64_t bytes_written_ GUARDED_BY(mutex_) = 0;
  // The current segment's size and last offset at the end of the last good
  // record (written, and fsync'd except in None mode).
  uint64_t good_size_ GUARDED_BY(mutex_) = 0;
  uint64_t good_offset_ GUARDED_BY(mutex_) = 0;
  std::optional<std::string> failure_ GUARDED_BY(mutex_);  // set: appends are refused
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread group_thread_;  // started by open, joined by the destructor
};

}  // namespace interstice::storage
