#include "node/commit_pipeline.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "abi/serialize.h"
#include "base/thread_name.h"
#include "node/tx_record_encoder.h"

namespace interstice::node {

namespace {
thread_local uint64_t last_appended = 0;  // CommitPipeline::last_appended_by_this_thread
}  // namespace

CommitPipeline::CommitPipeline(std::unique_ptr<storage::TransactionLog> log,
                               storage::Durability durability)
    : durability_(durability), log_(std::move(log)) {}

CommitPipeline::~CommitPipeline() {
  stop();
}

void CommitPipeline::start(Undo undo) {
  undo_ = std::move(undo);
  thread_ = std::thread([this] { acknowledge_loop(); });
}

void CommitPipeline::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t CommitPipeline::last_appended_by_this_thread() {
  return last_appended;
}

base::Result<uint64_t> CommitPipeline::append(const runtime::CommittedTransaction& tx) {
  std::vector<std::string> tags{tx.module};
  for (const runtime::TableEvent* e : tx.effects) {
    std::string tag = tx.module + "." + e->table;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
  }
  std::vector<uint8_t> bytes;
  encode_tx_record(tx, bytes);
  return append_bytes(bytes, tags);
}

base::Result<uint64_t> CommitPipeline::append(const storage::TxRecord& record) {
  std::vector<std::string> tags;
  if (!record.module.empty()) tags.push_back(record.module);
  return append_bytes(abi::to_bytes(record), tags);
}

base::Result<uint64_t> CommitPipeline::append_bytes(std::span<const uint8_t> bytes,
                                                    const std::vector<std::string>& tags) {
  auto offset = log_->append(bytes, tags);
  if (!offset) return offset.take_error();
  last_appended = *offset;
  uint64_t seen = last_logged_.load();
  while (seen < *offset && !last_logged_.compare_exchange_weak(seen, *offset)) {
  }
  return *offset;
}

void CommitPipeline::when_durable(uint64_t offset, Done done) {
  {
    base::MutexLock lock(mutex_);
    // Executors append in parallel, so an ack may come after a later offset's.
    auto at = std::upper_bound(acks_.begin(), acks_.end(), offset,
                               [](uint64_t o, const PendingAck& ack) { return o < ack.offset; });
    acks_.insert(at, PendingAck{offset, std::move(done)});
    if (!idle_) return;  // busy: it looks at acks_ again before it waits
  }
  changed_.notify_one();
}

void CommitPipeline::note_log_failure() {
  {
    base::MutexLock lock(mutex_);
    log_failed_ = true;
  }
  changed_.notify_all();
}

size_t CommitPipeline::waiting() const {
  base::MutexLock lock(mutex_);
  return acks_.size();
}

bool CommitPipeline::log_failed() const {
  base::MutexLock lock(mutex_);
  return log_failed_;
}

void CommitPipeline::settle_failure(uint64_t good, bool recovered) {
  base::MutexLock lock(mutex_);
  for (PendingAck& ack : acks_) {
    bool kept = ack.offset <= good;
    settled_.emplace_back(std::move(ack), kept);
  }
  acks_.clear();
  if (recovered) log_failed_ = false;
}

void CommitPipeline::answer_settled() {
  std::vector<std::pair<PendingAck, bool>> settled;
  {
    base::MutexLock lock(mutex_);
    settled.swap(settled_);
  }
  for (auto& [ack, kept] : settled)
    ack.done(kept
                 ? base::Result<void>()
                 : base::Result<void>(base::make_error("the transaction log failed to record it")));
}

void CommitPipeline::acknowledge_loop() {
  base::name_this_thread("acknowledger");
  base::MutexLock lock(mutex_);
  for (;;) {
    while (!stopping_ && acks_.empty() && !log_failed_) {
      idle_ = true;
      changed_.wait(lock);
      idle_ = false;
    }
    if (log_failed_) {
      lock.unlock();
      bool recovered = undo_ && undo_();
      answer_settled();
      lock.lock();
      if (!recovered && !stopping_)  // try again soon (acks after the failure have failed)
        for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
             !stopping_ && changed_.wait_until(lock, until);) {
        }
      if (!recovered && stopping_) {
        std::deque<PendingAck> failed;
        failed.swap(acks_);
        lock.unlock();
        for (PendingAck& ack : failed)
          ack.done(base::make_error("the transaction log failed", base::ErrorCode::Failed));
        return;
      }
      continue;
    }
    if (acks_.empty()) return;  // stopping, nothing left
    uint64_t newest = acks_.back().offset;
    lock.unlock();
    auto durable = log_->wait_durable(newest);
    // With durability none the log never syncs: wait_durable returns at once
    // and durable_offset() stays where it was, so what was appended is as
    // durable as it gets (waiting for more spun here and answered nothing).
    // After a failure only what is durable is answered; the rest waits for
    // `undo`.
    uint64_t covered =
        durable && durability_ == storage::Durability::None ? newest : log_->durable_offset();
    std::vector<PendingAck> ready;
    lock.lock();
    if (!durable) log_failed_ = true;  // the rest are answered after `undo`
    while (!acks_.empty() && acks_.front().offset <= covered) {
      ready.push_back(std::move(acks_.front()));
      acks_.pop_front();
    }
    lock.unlock();
    for (PendingAck& ack : ready) ack.done(base::Result<void>());
    lock.lock();
  }
}

}  // namespace interstice::node
