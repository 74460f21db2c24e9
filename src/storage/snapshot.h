// Snapshots: every logged and stateful table of a node as of one log offset,
// zstd-compressed, written atomically (temporary file, fsync, rename, fsync
// the directory). Byte format in docs/storage.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "abi/serialize.h"
#include "base/env.h"
#include "storage/tx_record.h"

namespace interstice::storage {

// The storage layer reaches files through the base layer's Env.
using base::Env;
using base::Error;
using base::Result;
using base::WritableFile;

struct TableImage {
  std::string module;
  std::string table;
  uint64_t auto_inc_next = 1;
  std::vector<abi::Bytes> rows;  // in primary-key order
  INTERSTICE_TYPE(TableImage, module, table, auto_inc_next, rows)
};

// Where a subscriber module got to in a remote table's changes (the last
// change its log holds): it resumes there after a restart.
struct RemotePositionRecord {
  std::string subscriber;  // the local module
  std::string node;        // the remote node, as the module names it
  std::string module;      // the remote table's module
  std::string table;
  abi::RemotePosition position;
  INTERSTICE_TYPE(RemotePositionRecord, subscriber, node, module, table, position)
};

struct SnapshotData {
  uint64_t offset = 0;                   // the last transaction it includes
  std::vector<std::string> initialized;  // modules that already ran init
  std::vector<TableImage> tables;
  std::vector<RemoteCallRecord> pending_calls;  // remote calls without an outcome yet
  std::vector<PeerCallRecord> peer_calls;       // the latest calls from peers that ran
  std::vector<RemotePositionRecord> remote_positions;
  INTERSTICE_TYPE(SnapshotData, offset, initialized, tables, pending_calls, peer_calls,
                  remote_positions)
};

// What to do with log segments that the newest snapshot makes unnecessary.
enum class Retention { Keep, Archive, Prune };

Result<void> write_snapshot(Env& env, const std::filesystem::path& dir, const SnapshotData& data);

// The snapshot of `offset` in `dir`: nullopt when there is none, an error
// when it is damaged.
Result<std::optional<SnapshotData>> read_snapshot_at(Env& env, const std::filesystem::path& dir,
                                                     uint64_t offset);

// The newest snapshot in `dir` that reads back intact; damaged ones are
// skipped with a warning. nullopt when there is none.
Result<std::optional<SnapshotData>> read_newest_snapshot(Env& env, const std::filesystem::path& dir,
                                                         std::vector<std::string>* warnings);

// Applies `retention` to the segments of `log_dir` whose records are all at
// or before `offset` (never the newest segment). Archive compresses each
// into log_dir/archive/NAME.zst; Prune deletes it. Older snapshots than the
// newest are deleted in both cases.
Result<void> apply_retention(Env& env, const std::filesystem::path& log_dir,
                             const std::filesystem::path& snapshot_dir, uint64_t offset,
                             Retention retention);

}  // namespace interstice::storage
