#include "node/module_history.h"

#include <fmt/format.h>

#include <algorithm>

#include "storage/snapshot.h"

namespace interstice::node {

ModuleHistory::ModuleHistory(base::Env& env, std::filesystem::path data_dir,
                             runtime::Runtime& runtime)
    : env_(env), data_dir_(std::move(data_dir)), runtime_(runtime), store_(env, data_dir_) {}

base::Result<void> ModuleHistory::apply(uint64_t offset, const storage::TxRecord& record) {
  switch (record.trigger.kind) {
    case storage::TriggerKind::NodeStart: {
      std::string why;
      auto start = abi::from_bytes<storage::NodeStartRecord>(record.args.data, &why);
      if (!start)
        return base::make_error(
            fmt::format("log record {}: a node start that does not decode ({})", offset, why));
      return this->start(offset, *start);
    }
    case storage::TriggerKind::Publish:
      return publish(offset, record);
    case storage::TriggerKind::Remove:
      if (auto r = runtime_.unload(record.module); !r)
        return base::make_error(fmt::format("log record {}: removing {}: {}", offset, record.module,
                                            r.error().message));
      hashes_.erase(record.module);
      return {};
    default:
      return base::make_error(fmt::format("log record {} is not a lifecycle record", offset));
  }
}

base::Result<std::vector<uint8_t>> ModuleHistory::stored(uint64_t offset,
                                                         const storage::ModuleVersion& version) {
  auto wasm = store_.get(version.hash);
  if (!wasm)
    return base::make_error(
        fmt::format("log record {}: module {}: {}", offset, version.name, wasm.error().message));
  return wasm;
}

base::Result<void> ModuleHistory::load(uint64_t offset, const storage::ModuleVersion& version) {
  auto wasm = stored(offset, version);
  if (!wasm) return wasm.take_error();
  if (auto r = runtime_.load(*wasm, version.name + ".wasm", /*run_init=*/false); !r)
    return base::make_error(fmt::format("log record {}: loading {} again: {}", offset, version.name,
                                        r.error().message));
  hashes_[version.name] = version.hash;
  return {};
}

base::Result<void> ModuleHistory::publish(uint64_t offset, const storage::TxRecord& record) {
  std::string why;
  auto version = abi::from_bytes<storage::ModuleVersion>(record.args.data, &why);
  if (!version)
    return base::make_error(
        fmt::format("log record {}: a publish that does not decode ({})", offset, why));
  if (!runtime_.schema(version->name)) return load(offset, *version);
  auto wasm = stored(offset, *version);
  if (!wasm) return wasm.take_error();
  // Its migrations run again, with the inputs they ran with.
  runtime::TransactionInputs inputs{record.timestamp_us, record.random_seed, "", {}};
  if (auto r = runtime_.replace(*wasm, version->name + ".wasm", &inputs); !r)
    return base::make_error(fmt::format("log record {}: publishing {} again: {}", offset,
                                        version->name, r.error().message));
  hashes_[version->name] = version->hash;
  return {};
}

// The node loaded `start.modules` in that order, restored the snapshot
// `start.snapshot` (stateful tables included) and re-applied its log, so its
// logged tables held what replay's hold now. Replay loads the same modules
// in the same order (the order decides who runs first on a shared event),
// carrying the logged tables over, and sets the others as the node had them.
base::Result<void> ModuleHistory::start(uint64_t offset, const storage::NodeStartRecord& start) {
  std::optional<storage::SnapshotData> snapshot;
  if (start.snapshot > 0) {
    auto read = storage::read_snapshot_at(env_, data_dir_ / "snapshots", start.snapshot);
    if (!read) return read.take_error();
    snapshot = std::move(*read);
    if (!snapshot)
      notes_.push_back(fmt::format(
          "log record {}: the node restored its stateful tables from snapshot {}, which is gone; "
          "replay keeps them as it had them",
          offset, start.snapshot));
  }
  std::vector<runtime::Runtime::TableImage> kept = runtime_.export_tables();
  for (const std::string& name : runtime_.module_names())
    if (auto r = runtime_.unload(name); !r) return r.take_error();
  hashes_.clear();
  for (const storage::ModuleVersion& version : start.modules)
    if (auto r = load(offset, version); !r) return r;
  auto persistence_of = [&](const std::string& module, const std::string& table) {
    const abi::ModuleSchema* schema = runtime_.schema(module);
    const abi::TableDef* def = schema ? schema->find_table(table) : nullptr;
    return def ? std::optional(def->persistence) : std::nullopt;
  };
  for (runtime::Runtime::TableImage& image : kept) {
    auto persistence = persistence_of(image.module, image.table);
    if (!persistence) continue;  // not loaded any more, or not declared any more
    if (*persistence == abi::Persistence::Stateful && (start.snapshot == 0 || snapshot)) continue;
    if (auto r = runtime_.import_table(image); !r) return r;
  }
  if (!snapshot) return {};
  for (storage::TableImage& image : snapshot->tables) {
    if (persistence_of(image.module, image.table) != abi::Persistence::Stateful) continue;
    runtime::Runtime::TableImage table{image.module, image.table, image.auto_inc_next, {}};
    for (abi::Bytes& row : image.rows) table.rows.push_back(std::move(row.data));
    if (auto r = runtime_.import_table(table); !r) return r;
  }
  return {};
}

}  // namespace interstice::node
