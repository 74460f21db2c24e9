#include "node/record_decoders.h"

#include <fmt/format.h>

#include <algorithm>

#include "abi/serialize.h"
#include "node/module_directory.h"
#include "node/module_store.h"
#include "storage/lifecycle_record.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {

runtime::RuntimeOptions offline_runtime_options(const std::filesystem::path& data_dir) {
  runtime::RuntimeOptions options;
  options.engine.cache_dir = data_dir / "compiled";
  options.log_sink = [](const runtime::LogRecord&) {};
  options.grantable = {abi::Authority::Gpu, abi::Authority::Input, abi::Authority::Audio,
                       abi::Authority::File};
  return options;
}

base::Result<std::unique_ptr<runtime::Runtime>> offline_runtime(
    base::Env& env, const std::filesystem::path& data_dir, bool load,
    const std::function<void(runtime::RuntimeOptions&)>& adjust) {
  runtime::RuntimeOptions options = offline_runtime_options(data_dir);
  if (adjust) adjust(options);
  auto rt = runtime::Runtime::create(std::move(options));
  if (!rt || !load) return rt;
  for (const ModuleLoadReport& r : load_module_directory(**rt, data_dir / "modules"))
    if (!r.error.empty())
      return base::make_error(
          fmt::format("{}: cannot load it to read the log: {}", r.file, r.error));
  // Installed modules whose files left DATA_DIR/modules come from the store.
  ModuleStore store(env, data_dir);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  for (const InstalledModule& m : installed->modules) {
    if ((*rt)->schema(m.name)) continue;
    auto wasm = store.get(m.hash);
    if (!wasm) return wasm.take_error();
    if (auto r = (*rt)->load(*wasm, m.name + ".wasm", /*run_init=*/false); !r)
      return r.take_error();
  }
  return rt;
}

RecordDecoders::RecordDecoders(base::Env& env, std::filesystem::path data_dir,
                               const runtime::Runtime& current)
    : env_(env), data_dir_(std::move(data_dir)), current_(current) {}

RecordDecoders::~RecordDecoders() = default;

void RecordDecoders::read_history() {
  history_read_ = true;
  // Lifecycle records are a few per start or publish; a failed read leaves
  // what was read (the records after it stay undecoded, as before).
  (void)storage::TransactionLog::read(
      env_, data_dir_ / "log", 1, [&](uint64_t offset, std::span<const uint8_t> payload) {
        auto record = storage::decode_tx_record(payload);
        if (!record || !record->trigger.is_lifecycle()) return true;
        switch (record->trigger.kind) {
          case storage::TriggerKind::NodeStart:
            if (auto start = abi::from_bytes<storage::NodeStartRecord>(record->args.data))
              for (const storage::ModuleVersion& m : start->modules)
                versions_[m.name].emplace_back(offset, m.hash);
            break;
          case storage::TriggerKind::Publish:
            if (auto version = abi::from_bytes<storage::ModuleVersion>(record->args.data))
              versions_[record->module].emplace_back(offset, version->hash);
            break;
          case storage::TriggerKind::Remove:
            versions_[record->module].emplace_back(offset, "");
            break;
          default:
            break;
        }
        return true;
      });
}

const runtime::Runtime* RecordDecoders::for_record(const std::string& module, uint64_t offset) {
  if (current_.schema(module)) return &current_;
  if (!history_read_) read_history();
  auto versions = versions_.find(module);
  if (versions == versions_.end()) return nullptr;
  // The last lifecycle record of the module before the transaction.
  auto after = std::upper_bound(versions->second.begin(), versions->second.end(),
                                std::make_pair(offset, std::string()),
                                [](const auto& a, const auto& b) { return a.first < b.first; });
  if (after == versions->second.begin()) return nullptr;
  const std::string& hash = std::prev(after)->second;
  if (hash.empty()) return nullptr;
  auto [entry, added] = by_hash_.try_emplace(hash);
  if (added) {
    auto wasm = ModuleStore(env_, data_dir_).get(hash);
    if (!wasm) return nullptr;
    auto rt = runtime::Runtime::create(offline_runtime_options(data_dir_));
    if (rt && (*rt)->load(*wasm, module + ".wasm", /*run_init=*/false))
      entry->second = std::move(rt).value();
  }
  return entry->second.get();
}

}  // namespace interstice::node
