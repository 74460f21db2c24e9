#include "storage/transaction_log.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "abi/serialize.h"
#include "base/thread_name.h"
#include "storage/log_format.h"

#include <algorithm>

namespace interstice::storage {
namespace {

using log_format::kMagic;
using log_format::record_crc;
constexpr size_t kSegmentHeader = log_format::kSegmentHeaderBytes;
constexpr size_t kRecordHeader = log_format::kRecordHeaderBytes;
constexpr uint32_t kMaxRecord = 256u << 20;

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::string segment_name(uint64_t first_offset) {
  return fmt::format("{:020}.log", first_offset);
}

bool is_segment(const std::string& name) {
  return segment_first_offset(name).has_value();
}

// Whether d[from..] is all zeros: a preallocated segment's unwritten tail.
bool zeros_from(const std::vector<uint8_t>& d, size_t from) {
  return std::all_of(d.begin() + static_cast<std::ptrdiff_t>(std::min(from, d.size())), d.end(),
                     [](uint8_t b) { return b == 0; });
}

struct ScanResult {
  uint64_t next_offset = 1;
  uint64_t last_end = 0;                 // where the last segment's records end (its zeros start)
  std::optional<Corruption> torn;        // damage at the very end: truncatable
  std::optional<Corruption> corruption;  // damage before the end
  std::vector<std::string> segments;
};

using Visitor = std::function<bool(uint64_t, std::span<const uint8_t>)>;

Result<ScanResult> scan(Env& env, const std::filesystem::path& dir, const Visitor& visit) {
  ScanResult result;
  auto names = env.list(dir);
  if (!names) return names.take_error();
  for (const std::string& name : *names)
    if (is_segment(name)) result.segments.push_back(name);
  bool stopped = false;
  for (size_t i = 0; i < result.segments.size() && !stopped; ++i) {
    const std::string& name = result.segments[i];
    bool last = i + 1 == result.segments.size();
    auto data = env.read_file(dir / name);
    if (!data) return data.take_error();
    const std::vector<uint8_t>& d = *data;
    auto damage = [&](uint64_t position, std::string problem, bool at_end) {
      Corruption c{name, position, std::move(problem)};
      if (last && at_end)
        result.torn = c;
      else
        result.corruption = c;
    };
    if (d.size() < kSegmentHeader || std::memcmp(d.data(), kMagic, 8) != 0) {
      damage(0, d.size() < kSegmentHeader ? "truncated segment header" : "bad segment magic",
             d.size() < kSegmentHeader);
      break;
    }
    uint64_t first = load64(d.data() + 8);
    if (i > 0 && first != result.next_offset) {
      damage(8, fmt::format("segment starts at offset {}, expected {}", first, result.next_offset),
             false);
      break;
    }
    result.next_offset = first;
    size_t pos = kSegmentHeader;
    while (pos < d.size()) {
      size_t left = d.size() - pos;
      // The last segment may end in preallocated zeros (no record is all
      // zeros: its checksum covers its offset, which is never 0).
      if (last && zeros_from(d, pos)) break;
      if (left < kRecordHeader) {
        damage(pos, "truncated record header", true);
        break;
      }
      uint32_t length = load32(d.data() + pos);
      uint32_t crc = load32(d.data() + pos + 4);
      uint64_t offset = load64(d.data() + pos + 8);
      if (length > kMaxRecord || length > left - kRecordHeader) {
        damage(pos, fmt::format("record of {} bytes runs past the end of the segment", length),
               true);
        break;
      }
      std::span<const uint8_t> payload(d.data() + pos + kRecordHeader, length);
      // A torn record is the last one, or followed by preallocated zeros only.
      bool ends_segment = pos + kRecordHeader + length == d.size() ||
                          (last && zeros_from(d, pos + kRecordHeader + length));
      if (record_crc(offset, payload) != crc) {
        damage(pos, fmt::format("checksum mismatch in the record at offset {}", offset),
               ends_segment);
        break;
      }
      if (offset != result.next_offset) {
        damage(pos, fmt::format("record has offset {}, expected {}", offset, result.next_offset),
               false);
        break;
      }
      if (visit && !visit(offset, payload)) {
        stopped = true;
        break;
      }
      ++result.next_offset;
      pos += kRecordHeader + length;
    }
    if (last) result.last_end = pos;
    if (result.torn || result.corruption) break;
  }
  return result;
}

}  // namespace

std::optional<uint64_t> segment_first_offset(std::string_view name) {
  if (name.size() != 24 || !name.ends_with(".log")) return std::nullopt;
  uint64_t first = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, first);
  if (ec != std::errc() || end != name.data() + 20) return std::nullopt;  // not digits, or > 2^64
  return first;
}

std::string Corruption::describe() const {
  return fmt::format("segment {}, byte {}: {}", segment, position, problem);
}

TransactionLog::TransactionLog(Env& env, std::filesystem::path dir, LogOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

TransactionLog::~TransactionLog() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  base::MutexLock lock(mutex_);
  if (segment_) {
    if (!failure_) {  // after a failure, what is pending follows a gap
      (void)write_pending(lock);
      (void)seal(lock);
    }
    (void)segment_->close();
  }
}

Result<std::unique_ptr<TransactionLog>> TransactionLog::open(Env& env,
                                                             const std::filesystem::path& dir,
                                                             LogOptions options,
                                                             std::vector<std::string>* warnings) {
  if (auto r = env.create_dirs(dir); !r) return r.take_error();
  auto scanned = scan(env, dir, nullptr);
  if (!scanned) return scanned.take_error();
  if (scanned->corruption)
    return base::make_error(
        fmt::format("the transaction log in {} is corrupted at {}; "
                    "`interstice log repair` can cut it there",
                    dir.string(), scanned->corruption->describe()));
  if (scanned->torn) {
    const Corruption& t = *scanned->torn;
    warnings->push_back(fmt::format("truncated a torn log tail at {}", t.describe()));
    if (t.position == 0) {
      if (auto r = env.remove(dir / t.segment); !r) return r.take_error();
      scanned->segments.pop_back();
    } else if (auto r = env.truncate(dir / t.segment, t.position); !r) {
      return r.take_error();
    }
  }
  std::unique_ptr<TransactionLog> log(new TransactionLog(env, dir, options));
  base::MutexLock lock(log->mutex_);  // (no other thread yet: for the analysis)
  log->next_offset_ = scanned->next_offset;
  log->durable_offset_ = scanned->next_offset - 1;
  log->good_offset_ = log->durable_offset_;
  if (scanned->segments.empty()) {
    if (auto r = log->open_segment(lock, log->next_offset_); !r) return r.take_error();
  } else {
    // A preallocated tail goes: appends continue where the records end.
    std::filesystem::path last = dir / scanned->segments.back();
    if (!scanned->torn && scanned->last_end > 0)
      if (auto r = env.truncate(last, scanned->last_end); !r) return r.take_error();
    auto file = env.open_appendable(last);
    if (!file) return file.take_error();
    log->segment_ = std::move(file).value();
    log->segment_name_ = scanned->segments.back();
    log->good_size_ = log->segment_->size();
    if (options.tags) {  // the open segment's tags are rebuilt from its records
      uint64_t first = *segment_first_offset(log->segment_name_);
      std::set<std::string> tags;
      (void)scan(env, dir, [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (offset >= first)
          for (std::string& tag : options.tags(payload)) tags.insert(std::move(tag));
        return true;
      });
      log->segment_tags_ = std::move(tags);
    }
  }
  lock.unlock();
  if (options.durability != Durability::None)
    log->writer_thread_ = std::thread([raw = log.get()] { raw->writer_loop(); });
  return log;
}

Result<void> TransactionLog::seal(base::MutexLock& lock) {
  (void)lock;
  // Cut off the preallocated zeros: only the last segment may end in them.
  if (auto r = env_.truncate(dir_ / segment_name_, segment_->size()); !r) return r;
  return segment_->sync();
}

Result<void> TransactionLog::write_batch(WritableFile& segment, std::span<const uint8_t> batch) {
  uint64_t end = segment.size() + batch.size();
  if (options_.preallocate_bytes > 0 && end > preallocated_) {
    // Zero-fill ahead by whole steps, so most batches overwrite blocks the
    // file has and their fdatasync does not also change its size.
    // Only an optimization: where it fails (say, a full disk), appends
    // still get what room there is.
    preallocated_ = end + options_.preallocate_bytes;
    (void)segment.preallocate(preallocated_);
  }
  return segment.append(batch);
}

Result<void> TransactionLog::open_segment(base::MutexLock& lock, uint64_t first_offset) {
  auto next = roll_over(segment_.get(), segment_name_, segment_tags_, first_offset);
  if (!next) return next.take_error();
  // Only now is the new segment the current one: a failure above leaves the
  // old one current, and reset_after_failure removes the half-made file.
  segment_tags_.clear();
  start_segment(lock, std::move(next).value(), first_offset);
  return {};
}

void TransactionLog::start_segment(base::MutexLock& lock, NextSegment next, uint64_t first_offset) {
  (void)lock;
  segment_name_ = segment_name(first_offset);
  segment_ = std::move(next.file);
  preallocated_ = 0;
  good_size_ = kSegmentHeader;
  good_offset_ = first_offset - 1;  // every earlier record was synced before
  if (options_.durability != Durability::None) durable_offset_ = good_offset_;
  durable_changed_.notify_all();
}

Result<TransactionLog::NextSegment> TransactionLog::roll_over(WritableFile* ending,
                                                              const std::string& ending_name,
                                                              const std::set<std::string>& tags,
                                                              uint64_t first_offset) {
  if (ending) {  // sealed as seal() does, then closed with its tags beside it
    if (auto r = env_.truncate(dir_ / ending_name, ending->size()); !r) return r.take_error();
    if (auto r = ending->sync(); !r) return r.take_error();
    if (auto r = ending->close(); !r) return r.take_error();
    if (!tags.empty() || options_.tags) {
      std::vector<std::string> list(tags.begin(), tags.end());
      if (auto r = env_.write_atomically(dir_ / (ending_name + ".tags"), abi::to_bytes(list)); !r)
        return r.take_error();
    }
  }
  auto file = env_.open_appendable(dir_ / segment_name(first_offset));
  if (!file) return file.take_error();
  std::vector<uint8_t> header;
  log_format::append_segment_header(header, first_offset);
  if (auto r = (*file)->append(header); !r) return r.take_error();
  if (auto r = (*file)->sync(); !r) return r.take_error();
  if (auto r = env_.sync_dir(dir_); !r) return r.take_error();
  return NextSegment{std::move(file).value()};
}

bool TransactionLog::fail(base::MutexLock& lock, const std::string& message) {
  if (failure_) return false;  // told already
  (void)lock;
  failure_ = message;
  durable_changed_.notify_all();
  return true;
}

void TransactionLog::mark_good() {
  good_size_ = segment_->size();
  good_offset_ = pending_.empty() ? next_offset_ - 1 : good_offset_;
}

void TransactionLog::wait_not_flushing(base::MutexLock& lock) {
  while (flushing_) durable_changed_.wait(lock);
}

Result<void> TransactionLog::write_pending(base::MutexLock& lock) {
  wait_not_flushing(lock);
  if (failure_) return base::make_error(*failure_);
  if (pending_.empty()) return {};
  if (auto r = write_batch(*segment_, pending_); !r) return r;
  pending_.clear();
  if (options_.durability == Durability::None) mark_good();  // written is all None promises
  return {};
}

Result<uint64_t> TransactionLog::append(std::span<const uint8_t> payload,
                                        const std::vector<std::string>& tags) {
  bool failed_now = false;
  auto offset = append_locked(payload, tags, &failed_now);
  if (failed_now && options_.on_failure) options_.on_failure();
  return offset;
}

Result<uint64_t> TransactionLog::append_locked(std::span<const uint8_t> payload,
                                               const std::vector<std::string>& tags,
                                               bool* failed_now) {
  base::MutexLock lock(mutex_);
  if (failure_) return base::make_error(*failure_);
  if (payload.size() > kMaxRecord)
    return base::make_error(fmt::format("a log record of {} bytes is too large", payload.size()));
  // A write or fsync that fails: appends are refused until reset_after_failure.
  auto failed = [&](base::Error error) NO_THREAD_SAFETY_ANALYSIS -> Result<uint64_t> {
    *failed_now = fail(lock, error.message);  // (mutex_ is held: `lock`)
    return error;
  };
  // Without a writer thread (None), the appender starts the next segment;
  // otherwise the writer does, outside the lock (writer_loop).
  if (options_.durability == Durability::None &&
      segment_->size() + pending_.size() > options_.segment_bytes) {
    if (auto r = write_pending(lock); !r) return failed(r.take_error());
    if (auto r = open_segment(lock, next_offset_); !r) return failed(r.take_error());
  }
  uint64_t offset = next_offset_;
  segment_tags_.insert(tags.begin(), tags.end());
  log_format::append_record(pending_, offset, payload);
  pending_last_ = offset;
  ++next_offset_;
  bytes_written_ += kRecordHeader + payload.size();
  switch (options_.durability) {
    case Durability::Sync:
    case Durability::Group:
      if (!flushing_) work_.notify_one();  // else the writer looks again when it is done
      break;
    case Durability::None:
      if (pending_.size() >= (1u << 20))
        if (auto r = write_pending(lock); !r) return failed(r.take_error());
      break;
  }
  return offset;
}

void TransactionLog::writer_loop() {
  base::name_this_thread("log-writer");
  base::MutexLock lock(mutex_);
  while (!stopping_) {
    // After a failure, what is pending waits for reset_after_failure.
    while (!stopping_ && (pending_.empty() || failure_)) work_.wait(lock);
    if (stopping_) break;
    if (options_.durability == Durability::Group && options_.group_delay.count() > 0) {
      lock.unlock();
      std::this_thread::sleep_for(options_.group_delay);
      lock.lock();
      if (failure_ || pending_.empty()) continue;
    }
    // Take the batch, then write and fsync it without holding the lock, so
    // appends go on filling the next batch meanwhile.
    std::vector<uint8_t> batch;
    batch.swap(pending_);
    uint64_t covered = pending_last_;
    uint64_t batch_records = covered > durable_offset_ ? covered - durable_offset_ : 0;
    WritableFile* segment = segment_.get();
    std::string name = segment_name_;
    // A batch that takes the segment past its size ends it: the records
    // appended from now on go to the next one, and so do their tags.
    std::optional<std::set<std::string>> ending_tags;
    if (segment->size() + batch.size() > options_.segment_bytes) {
      ending_tags = std::move(segment_tags_);
      segment_tags_.clear();
    }
    flushing_ = true;
    lock.unlock();
    using SteadyClock = std::chrono::steady_clock;
    LogFlush flush;
    if (options_.on_flush) flush.started = SteadyClock::now();
    Result<void> written = write_batch(*segment, batch);
    if (options_.on_flush) flush.written = SteadyClock::now();
    if (written) written = segment->sync();
    if (options_.on_flush) {
      flush.synced = SteadyClock::now();
      flush.records = batch_records;
      flush.bytes = batch.size();
      flush.ok = written.ok();
      options_.on_flush(flush);
    }
    Result<NextSegment> next = NextSegment{};
    if (written && ending_tags) next = roll_over(segment, name, *ending_tags, covered + 1);
    if (!next) written = next.take_error();
    lock.lock();
    flushing_ = false;
    bool failed_now = false;
    if (!written) {
      // Appends go on into the old segment after reset_after_failure: it
      // keeps every tag it may hold.
      if (ending_tags) segment_tags_.insert(ending_tags->begin(), ending_tags->end());
      failed_now = fail(lock, written.error().message);
    } else {
      if (ending_tags) start_segment(lock, std::move(*next), covered + 1);
      ++batches_;
      batched_records_ += covered > durable_offset_ ? covered - durable_offset_ : 0;
      durable_offset_ = std::max(durable_offset_, covered);
      good_size_ = segment_->size();
      good_offset_ = std::max(good_offset_, covered);
    }
    durable_changed_.notify_all();
    if (failed_now && options_.on_failure) {
      lock.unlock();
      options_.on_failure();
      lock.lock();
    }
  }
  durable_changed_.notify_all();
}

Result<void> TransactionLog::wait_durable(uint64_t offset) {
  base::MutexLock lock(mutex_);
  if (options_.durability == Durability::None) return {};
  while (durable_offset_ < offset && !failure_ && !stopping_) durable_changed_.wait(lock);
  if (durable_offset_ < offset && failure_) return base::make_error(*failure_);
  return {};
}

Result<void> TransactionLog::sync() {
  bool failed_now = false;
  Result<void> synced = [&]() -> Result<void> {
    base::MutexLock lock(mutex_);
    if (failure_) return base::make_error(*failure_);
    Result<void> r = write_pending(lock);
    if (r) r = segment_->sync();
    if (!r) {
      failed_now = fail(lock, r.error().message);
      return r;
    }
    durable_offset_ = next_offset_ - 1;
    mark_good();
    durable_changed_.notify_all();
    return {};
  }();
  if (failed_now && options_.on_failure) options_.on_failure();
  return synced;
}

uint64_t TransactionLog::good_offset() const {
  base::MutexLock lock(mutex_);
  return good_offset_;
}

bool TransactionLog::failed() const {
  base::MutexLock lock(mutex_);
  return failure_.has_value();
}

Result<uint64_t> TransactionLog::reset_after_failure() {
  base::MutexLock lock(mutex_);
  if (!failure_) return good_offset_;
  return reset_locked(lock);
}

Result<uint64_t> TransactionLog::reset_locked(base::MutexLock& lock) {
  wait_not_flushing(lock);
  pending_.clear();
  if (segment_) (void)segment_->close();
  segment_.reset();
  // A segment named after the current one is a rollover that failed half-way.
  auto names = env_.list(dir_);
  if (!names) return names.take_error();
  for (const std::string& name : *names)
    if (is_segment(name) && name > segment_name_)
      if (auto r = env_.remove(dir_ / name); !r) return r.take_error();
  if (auto r = env_.truncate(dir_ / segment_name_, good_size_); !r) return r.take_error();
  auto file = env_.open_appendable(dir_ / segment_name_);
  if (!file) return file.take_error();
  if ((*file)->size() != good_size_)
    return base::make_error(fmt::format("segment {} is {} bytes after cutting it to {}",
                                        segment_name_, (*file)->size(), good_size_));
  segment_ = std::move(file).value();
  preallocated_ = 0;
  next_offset_ = good_offset_ + 1;
  failure_.reset();
  durable_changed_.notify_all();
  return good_offset_;
}

Result<void> TransactionLog::continue_at(uint64_t next) {
  base::MutexLock lock(mutex_);
  if (next <= next_offset_ || !pending_.empty() || failure_)
    return base::make_error(
        fmt::format("the log cannot continue at offset {} (it is at {})", next, next_offset_));
  if (auto r = segment_->close(); !r) return r;
  segment_.reset();
  auto names = env_.list(dir_);
  if (!names) return names.take_error();
  if (auto r = env_.create_dirs(dir_ / "archive"); !r) return r;
  for (const std::string& name : *names) {
    if (is_segment(name)) {
      if (auto r = env_.rename(dir_ / name, dir_ / "archive" / name); !r) return r;
    } else if (name.ends_with(".log.tags")) {  // an index of a segment that moved
      if (auto r = env_.remove(dir_ / name); !r) return r;
    }
  }
  if (auto r = env_.sync_dir(dir_ / "archive"); !r) return r;
  next_offset_ = next;
  durable_offset_ = good_offset_ = next - 1;
  return open_segment(lock, next);
}

uint64_t TransactionLog::last_offset() const {
  base::MutexLock lock(mutex_);
  return next_offset_ - 1;
}

LogStats TransactionLog::stats() const {
  base::MutexLock lock(mutex_);
  return LogStats{batches_, batched_records_};
}

uint64_t TransactionLog::bytes_written() const {
  base::MutexLock lock(mutex_);
  return bytes_written_;
}

uint64_t TransactionLog::durable_offset() const {
  base::MutexLock lock(mutex_);
  return durable_offset_;
}

Result<void> TransactionLog::read(
    Env& env, const std::filesystem::path& dir, uint64_t from,
    const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit) {
  auto scanned = scan(env, dir, [&](uint64_t offset, std::span<const uint8_t> payload) {
    return offset < from || visit(offset, payload);
  });
  if (!scanned) return scanned.take_error();
  if (scanned->corruption)
    return base::make_error("the transaction log is corrupted at " +
                            scanned->corruption->describe());
  return {};
}

Result<void> TransactionLog::read_tagged(
    Env& env, const std::filesystem::path& dir, uint64_t from, const std::string& tag,
    const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit) {
  auto names = env.list(dir);
  if (!names) return names.take_error();
  std::vector<std::string> segments;
  for (const std::string& name : *names)
    if (is_segment(name)) segments.push_back(name);
  // Offsets in segments whose tags file lacks `tag` are skipped.
  std::vector<std::pair<uint64_t, uint64_t>> skipped;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    std::filesystem::path tags_path = dir / (segments[i] + ".tags");
    if (!env.exists(tags_path)) continue;
    auto bytes = env.read_file(tags_path);
    if (!bytes) continue;
    auto tags = abi::from_bytes<std::vector<std::string>>(*bytes);
    if (!tags || std::find(tags->begin(), tags->end(), tag) != tags->end()) continue;
    skipped.emplace_back(*segment_first_offset(segments[i]),
                         *segment_first_offset(segments[i + 1]));
  }
  return read(env, dir, from, [&](uint64_t offset, std::span<const uint8_t> payload) {
    for (const auto& [first, next] : skipped)
      if (offset >= first && offset < next) return true;
    return visit(offset, payload);
  });
}

Result<std::optional<Corruption>> TransactionLog::check(Env& env,
                                                        const std::filesystem::path& dir) {
  auto scanned = scan(env, dir, nullptr);
  if (!scanned) return scanned.take_error();
  if (scanned->corruption) return scanned->corruption;
  return scanned->torn;
}

Result<void> TransactionLog::repair(Env& env, const std::filesystem::path& dir,
                                    const Corruption& at) {
  auto names = env.list(dir);
  if (!names) return names.take_error();
  bool after = false;
  for (const std::string& name : *names) {
    if (!is_segment(name)) continue;
    if (after) {
      if (auto r = env.remove(dir / name); !r) return r;
    } else if (name == at.segment) {
      after = true;
      if (at.position < kSegmentHeader) {
        if (auto r = env.remove(dir / name); !r) return r;
      } else if (auto r = env.truncate(dir / name, at.position); !r) {
        return r;
      }
    }
  }
  return env.sync_dir(dir);
}

}  // namespace interstice::storage
