#include "node/snapshot_taker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace interstice::node {

SnapshotTaker::SnapshotTaker(Options options, CommitPipeline& commits, Capture capture,
                             Capture capture_exclusive)
    : options_(std::move(options)),
      commits_(commits),
      capture_(std::move(capture)),
      capture_exclusive_(std::move(capture_exclusive)) {}

SnapshotTaker::~SnapshotTaker() {
  join();
}

uint64_t SnapshotTaker::newest() const {
  base::MutexLock lock(mutex_);
  return newest_;
}

void SnapshotTaker::set_newest(uint64_t offset) {
  base::MutexLock lock(mutex_);
  newest_ = offset;
}

void SnapshotTaker::lower_to(uint64_t good) {
  base::MutexLock lock(mutex_);
  newest_ = std::min(newest_, good);
}

void SnapshotTaker::join() {
  std::thread running;
  {
    base::MutexLock lock(mutex_);
    running = std::move(thread_);
  }
  if (running.joinable()) running.join();  // it takes mutex_ as it ends
}

void SnapshotTaker::maybe_take(bool capture_here) {
  if (options_.every == 0) return;
  if (commits_.log_failed()) return;  // the failure is undone first
  std::thread written;                // the previous snapshot's thread, to wait for
  {
    base::MutexLock lock(mutex_);
    uint64_t logged = commits_.last_logged();
    if (logged < newest_ + options_.every) return;
    if (phase_ == Phase::Capturing) return;
    if (phase_ == Phase::Writing) {
      if (!thread_.joinable()) return;  // another call is waiting for it
      written = std::move(thread_);
    } else {
      if (thread_.joinable()) thread_.join();  // it has ended
      newest_ = logged;                        // due again `every` transactions from here
      std::optional<storage::SnapshotData> captured;
      if (capture_here) captured = capture_();
      phase_ = captured ? Phase::Writing : Phase::Capturing;
      thread_ = std::thread([this, captured = std::move(captured)]() mutable {
        storage::SnapshotData data = captured ? std::move(*captured) : capture_exclusive_();
        {
          base::MutexLock lock(mutex_);
          phase_ = Phase::Writing;
        }
        write(std::move(data));
        base::MutexLock done(mutex_);
        phase_ = Phase::Idle;
      });
      return;
    }
  }
  written.join();
  maybe_take(capture_here);  // it was written: start the next
}

void SnapshotTaker::take_now() {
  uint64_t logged = commits_.last_logged();
  {
    base::MutexLock lock(mutex_);
    newest_ = std::max(newest_, logged);
  }
  write(capture_());
}

void SnapshotTaker::write(storage::SnapshotData data) {
  base::MutexLock lock(write_mutex_);
  if (data.offset <= written_) return;  // a newer one was written meanwhile
  auto fail = [&](const std::string& why) {
    spdlog::error("snapshot at offset {} not written: {}", data.offset, why);
  };
  if (auto r = commits_.log().wait_durable(data.offset); !r) return fail(r.error().message);
  // None: what the snapshot holds must be in the log first (a failed write
  // undoes transactions; a snapshot must never hold them).
  if (options_.durability == storage::Durability::None)
    if (auto r = commits_.log().sync(); !r) return fail(r.error().message);
  auto written = storage::write_snapshot(*options_.env, options_.data_dir / "snapshots", data);
  if (!written) return fail(written.error().message);
  written_ = data.offset;
  if (auto r = storage::apply_retention(*options_.env, options_.data_dir / "log",
                                        options_.data_dir / "snapshots", data.offset,
                                        options_.retention);
      !r)
    spdlog::error("log retention after the snapshot at {} failed: {}", data.offset,
                  r.error().message);
}

}  // namespace interstice::node
