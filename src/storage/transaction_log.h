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
// Durability: `append` hands a record to the log and returns at once (no
// appender ever waits for a disk); `wait_durable(offset)` returns once it is
// on disk, according to the mode:
//   Sync   the log's writer thread writes and fsyncs what is pending as soon
//          as the previous fsync ends: everything appended during one fsync
//          forms the next batch, so batches grow with the load and nobody
//          waits to gather them;
//   Group  the same, but the writer first waits `group_delay` for more
//          records to join the batch (fewer, larger fsyncs);
//   None   records are written in 1 MiB batches and never fsync'd by the log
//          (lost on a crash until the OS writes them back).
// In Sync and Group, the writer thread also starts the next segment once a
// batch takes the current one past `segment_bytes` (that batch still goes to
// the current one), so appenders never wait for a rollover's fsyncs; in None
// the appender that passes the size starts it.
// Thread-safe: appends and waits may come from different threads.
//
// Segments are preallocated: the log zero-fills `preallocate_bytes` ahead of
// its end, so an fdatasync writes data without also growing the file. Only
// the last segment has such a zero tail; opening the log cuts it off, and a
// segment is cut to its records when the next one starts.
//
// A failed write or fsync: records appended before it may be lost with it, so
// the log refuses every append (it is "failed") and tells
// LogOptions::on_failure; the owner undoes what it did after the last good
// record (good_offset()) and calls reset_after_failure(), which cuts the
// segment back to that record.
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

// One batch the writer thread wrote and fsync'd (LogOptions::on_flush).
struct LogFlush {
  std::chrono::steady_clock::time_point started;  // its write began
  std::chrono::steady_clock::time_point written;  // its write returned; fsync began
  std::chrono::steady_clock::time_point synced;   // fsync returned
  uint64_t records = 0;
  uint64_t bytes = 0;
  bool ok = false;
};

struct LogOptions {
  Durability durability = Durability::Group;
  std::chrono::microseconds group_delay{200};
  uint64_t segment_bytes = 64ull << 20;     // a new segment starts past this size
  uint64_t preallocate_bytes = 1ull << 20;  // zero-filled ahead of the end (0: none)
  // Optional: the tags of a record's payload (e.g. "module", "module.table"),
  // used at open to rebuild the open segment's tags. Records are appended
  // with their tags; when a segment is sealed, the union of its records' tags
  // is written beside it (NAME.tags), so read_tagged() can skip segments.
  std::function<std::vector<std::string>(std::span<const uint8_t> payload)> tags;
  // Optional: called once when a write or fsync fails and the log starts
  // refusing appends (Group, None), from the thread that saw it (an
  // appender or the writer thread), without the log's lock.
  std::function<void()> on_failure;
  // Optional: called by the writer thread (Sync, Group) after each batch,
  // without the log's lock, for metrics and traces.
  std::function<void(const LogFlush&)> on_flush;
};

// What the writer thread did: fsyncs of batches and the records they held.
struct LogStats {
  uint64_t batches = 0;
  uint64_t records = 0;
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

  // Appends one record with its tags; returns its offset (durable once
  // wait_durable(offset) returns).
  Result<uint64_t> append(std::span<const uint8_t> payload,
                          const std::vector<std::string>& tags = {});
  // Blocks until `offset` is durable (Sync, Group), or returns at once (None).
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
  LogStats stats() const;

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
  // Seals the current segment (if any) and starts one at `first_offset`.
  Result<void> open_segment(base::MutexLock& lock, uint64_t first_offset) REQUIRES(mutex_);
  // A new segment, made and synced, not yet the current one.
  struct NextSegment {
    std::unique_ptr<WritableFile> file;
  };
  // Makes `next` the current segment, starting at `first_offset`, every
  // earlier record synced.
  void start_segment(base::MutexLock& lock, NextSegment next, uint64_t first_offset)
      REQUIRES(mutex_);
  // Seals `ending`, if any (its preallocated zeros cut off, fsync'd,
  // closed, its `tags` written beside it), and makes the segment that starts
  // at `first_offset`. Touches no field: open_segment calls it under the
  // lock, the writer thread alone while flushing_ without it, so no
  // appender waits for a rollover's fsyncs.
  Result<NextSegment> roll_over(WritableFile* ending, const std::string& ending_name,
                                const std::set<std::string>& tags, uint64_t first_offset);
  // Cuts the current segment's preallocated zeros off and fsyncs it.
  Result<void> seal(base::MutexLock& lock) REQUIRES(mutex_);
  // Appends `batch` to `segment`, preallocating ahead first. Called with
  // mutex_ held, or by the writer thread alone while flushing_.
  Result<void> write_batch(WritableFile& segment,
                           std::span<const uint8_t> batch) NO_THREAD_SAFETY_ANALYSIS;
  // Writes the pending batch to the current segment, after any batch the
  // writer thread is writing (waiting on `lock`, which holds mutex_).
  Result<void> write_pending(base::MutexLock& lock) REQUIRES(mutex_);
  Result<uint64_t> append_locked(std::span<const uint8_t> payload,
                                 const std::vector<std::string>& tags, bool* failed_now)
      EXCLUDES(mutex_);
  // Records a failure. True if on_failure must be told (a new failure).
  bool fail(base::MutexLock& lock, const std::string& message) REQUIRES(mutex_);
  Result<uint64_t> reset_locked(base::MutexLock& lock) REQUIRES(mutex_);
  // The good end moves to everything written so far.
  void mark_good() REQUIRES(mutex_);
  // Waits until the writer thread is not writing a batch.
  void wait_not_flushing(base::MutexLock& lock) REQUIRES(mutex_);
  void writer_loop() EXCLUDES(mutex_);

  Env& env_;
  const std::filesystem::path dir_;
  const LogOptions options_;
  mutable base::Mutex mutex_;
  base::CondVar durable_changed_;  // durable_offset_, failure_, flushing_ or the segment changed
  base::CondVar work_;             // pending_ or stopping_ changed (the writer thread waits)
  // The current segment. Replaced under mutex_; written through under it, or
  // by the writer thread alone while flushing_ (without the lock).
  std::unique_ptr<WritableFile> segment_ GUARDED_BY(mutex_);
  std::vector<uint8_t> pending_ GUARDED_BY(mutex_);  // encoded records not yet written
  uint64_t pending_last_ GUARDED_BY(mutex_) = 0;     // the offset of the last record in pending_
  bool flushing_ GUARDED_BY(mutex_) = false;  // the writer thread is writing a batch unlocked
  std::set<std::string> segment_tags_ GUARDED_BY(mutex_);  // tags of the current segment's records
  std::string segment_name_ GUARDED_BY(mutex_);            // the current segment's file name
  uint64_t next_offset_ GUARDED_BY(mutex_) = 1;
  uint64_t durable_offset_ GUARDED_BY(mutex_) = 0;
  uint64_t bytes_written_ GUARDED_BY(mutex_) = 0;
  uint64_t batches_ GUARDED_BY(mutex_) = 0;          // LogStats
  uint64_t batched_records_ GUARDED_BY(mutex_) = 0;  // LogStats
  // How far the current segment is zero-filled: like segment_, changed under
  // mutex_ or by the writer thread alone while flushing_.
  uint64_t preallocated_ = 0;
  // The current segment's size and last offset at the end of the last good
  // record (written, and fsync'd except in None mode).
  uint64_t good_size_ GUARDED_BY(mutex_) = 0;
  uint64_t good_offset_ GUARDED_BY(mutex_) = 0;
  std::optional<std::string> failure_ GUARDED_BY(mutex_);  // set: appends are refused
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread writer_thread_;  // Sync, Group: started by open, joined by the destructor
};

}  // namespace interstice::storage
