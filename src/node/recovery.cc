#include "node/recovery.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "node/snapshot_restore.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {

Recovery::Recovery(base::Env& env, std::filesystem::path data_dir, runtime::Runtime& runtime,
                   CallLedger& ledger, CommitPipeline& commits, SnapshotTaker& snapshots)
    : env_(env),
      data_dir_(std::move(data_dir)),
      runtime_(runtime),
      ledger_(ledger),
      commits_(commits),
      snapshots_(snapshots) {}

bool Recovery::undo_after_log_failure() {
  bool recovered = false;
  uint64_t good = commits_.log().good_offset();
  uint64_t last_logged = commits_.last_logged();
  bool undone = last_logged <= good;
  if (!undone) {
    uint64_t lost = last_logged - good;
    auto rebuilt = [&]() -> base::Result<void> {
      auto from = restore_snapshot(/*logged_only=*/true);
      if (!from) return from.take_error();
      if (*from < good)
        if (auto applied = apply_log(*from + 1, good); !applied) return applied.take_error();
      return {};
    }();
    if (rebuilt) {
      spdlog::error(
          "the transaction log failed to record transactions {} to {}; they are undone "
          "(the logged tables are as of transaction {})",
          good + 1, last_logged, good);
      commits_.set_last_logged(good);
      snapshots_.lower_to(good);
      undone = true;
    } else {
      spdlog::error(
          "the transaction log failed to record {} transactions, and undoing them "
          "failed: {}; retrying",
          lost, rebuilt.error().message);
    }
  }
  if (undone) {
    if (auto reset = commits_.log().reset_after_failure(); reset) {
      recovered = true;
      spdlog::info("the transaction log goes on after transaction {}", good);
    } else {
      spdlog::error("the transaction log cannot go on yet: {}; retrying", reset.error().message);
    }
  }
  // Acknowledgements of records after the good one fail: those records
  // are gone (or will be cut), whatever happens next. Settled here, before
  // any reducer runs again and appends after `good`.
  commits_.settle_failure(good, recovered);
  return recovered;
}

base::Result<uint64_t> Recovery::restore_snapshot(bool logged_only) {
  std::vector<std::string> warnings;
  auto snapshot = storage::read_newest_snapshot(env_, data_dir_ / "snapshots", &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (!snapshot) return snapshot.take_error();
  if (logged_only) {  // rolling back: the logged tables start from scratch
    for (const std::string& module : runtime_.module_names())
      for (const abi::TableDef& t : runtime_.schema(module)->tables)
        if (t.persistence == abi::Persistence::Logged)
          if (auto r = runtime_.clear_table(module, t.name); !r) return r.take_error();
    initialized_.clear();
    ledger_.clear();
  }
  if (!*snapshot) return uint64_t{0};
  if (logged_only)
    std::erase_if((*snapshot)->tables, [&](const storage::TableImage& image) {
      const runtime::Table* t = runtime_.table(image.module, image.table);
      return t && t->def().persistence != abi::Persistence::Logged;
    });
  if (auto r = restore_tables(runtime_, **snapshot); !r) return r.take_error();
  initialized_.insert((*snapshot)->initialized.begin(), (*snapshot)->initialized.end());
  ledger_.restore(**snapshot);
  if (!logged_only) spdlog::info("restored the snapshot at offset {}", (*snapshot)->offset);
  return (*snapshot)->offset;
}

base::Result<uint64_t> Recovery::apply_log(uint64_t from, uint64_t until) {
  std::optional<base::Error> failure;
  uint64_t applied = 0;
  bool reached = false;
  auto read = storage::TransactionLog::read(
      env_, data_dir_ / "log", from, [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (offset > until) return false;
        if (applied == 0 && offset != from) {
          failure = base::make_error(fmt::format(
              "the log resumes at offset {}, but the snapshot ends at {}", offset, from - 1));
          return false;
        }
        auto record = storage::decode_tx_record(payload);
        if (!record) {
          failure = base::make_error(
              fmt::format("log record {} is not a valid transaction record", offset));
          return false;
        }
        const storage::Trigger& trigger = record->trigger;
        if (trigger.kind == storage::TriggerKind::Init) initialized_.insert(record->module);
        ledger_.apply(*record);
        for (const storage::RowEffect& e : record->effects) {
          auto done = runtime_.apply(record->module, static_cast<runtime::EventKind>(e.kind),
                                     e.table, e.row.data);
          if (!done) {
            failure =
                base::make_error(fmt::format("log record {}: {}", offset, done.error().message));
            return false;
          }
        }
        ++applied;
        reached = offset == until;
        return true;
      });
  if (failure) return *failure;
  if (!read && !reached) return read.take_error();
  if (until != UINT64_MAX && !reached)
    return base::make_error(fmt::format("the log ends before transaction {}", until));
  return applied;
}

// Restores the newest snapshot, re-applies the log after it, then runs init
// for modules that never ran it.
base::Result<void> Recovery::recover(const std::vector<storage::ModuleVersion>& modules) {
  auto restored = restore_snapshot(/*logged_only=*/false);
  if (!restored) return restored.take_error();
  uint64_t snapshot_offset = *restored;
  snapshots_.set_newest(snapshot_offset);
  // A log that lost its tail before the snapshot's offset (a cut segment):
  // the snapshot holds those transactions, so the log continues after it.
  if (uint64_t last = commits_.log().last_offset(); last < snapshot_offset) {
    spdlog::warn(
        "the log ends at offset {}, before the snapshot at {}, which holds the transactions it "
        "lost; its segments move to {} and it continues at offset {}",
        last, snapshot_offset, (data_dir_ / "log" / "archive").string(), snapshot_offset + 1);
    if (auto r = commits_.log().continue_at(snapshot_offset + 1); !r) return r.take_error();
  }
  auto applied = apply_log(snapshot_offset + 1, UINT64_MAX);
  if (!applied) return applied.take_error();
  recovered_ = *applied;
  if (recovered_ > 0) spdlog::info("recovered {} transactions from the log", recovered_);
  commits_.set_last_logged(commits_.log().last_offset());
  if (auto r = commits_.append(storage::node_start_record({modules, snapshot_offset})); !r)
    return r.take_error();
  for (const std::string& name : runtime_.module_names()) {
    if (initialized_.count(name)) continue;
    if (auto r = runtime_.run_init(name); !r)
      spdlog::error("{}", r.error().message);
    else
      initialized_.insert(name);
  }
  for (const std::string& name : runtime_.module_names())
    runtime_.fire(name, abi::EventName{abi::EventName::Kind::Load}, {});
  return commits_.log().sync();
}

storage::SnapshotData Recovery::capture() {
  storage::SnapshotData data;
  data.offset = commits_.last_logged();
  data.initialized.assign(initialized_.begin(), initialized_.end());
  data.pending_calls = ledger_.pending();
  data.peer_calls = ledger_.peer_calls();
  data.remote_positions = ledger_.remote_positions();
  for (runtime::Runtime::TableImage& image : runtime_.export_tables()) {
    storage::TableImage t{image.module, image.table, image.auto_inc_next, {}};
    t.rows.reserve(image.rows.size());
    for (runtime::Bytes& row : image.rows) t.rows.push_back(abi::Bytes{std::move(row)});
    data.tables.push_back(std::move(t));
  }
  return data;
}

}  // namespace interstice::node
