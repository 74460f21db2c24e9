#include "node/module_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "node/module_store.h"

namespace interstice::node {

namespace {
// What the operator sees of a failure below: the message, as a failure of
// the operation (not, say, NotFound from a file the store missed).
base::Error failed(const base::Error& e) {
  return base::make_error(e.message);
}
}  // namespace

ModuleManager::ModuleManager(base::Env& env, std::filesystem::path data_dir,
                             runtime::Runtime& runtime, Hooks hooks)
    : env_(env), data_dir_(std::move(data_dir)), runtime_(runtime), hooks_(std::move(hooks)) {}

base::Result<void> ModuleManager::load_all() {
  ModuleStore store(env_, data_dir_);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  reports_ = load_module_directory(runtime_, data_dir_ / "modules");
  for (ModuleLoadReport& r : reports_) {
    if (!r.error.empty()) {
      spdlog::error("{}: not loaded: {}", r.file, r.error);
      continue;
    }
    auto hash = store.put(r.wasm);
    if (!hash) return hash.take_error();
    hashes_[r.module] = *hash;
    files_[r.module] = r.file;
    r.wasm.clear();
  }
  for (const InstalledModule& m : installed->modules) {
    if (hashes_.count(m.name)) continue;
    auto wasm = store.get(m.hash);
    if (!wasm)
      return base::make_error(
          fmt::format("installed module '{}': {}", m.name, wasm.error().message));
    if (auto r = runtime_.load(*wasm, m.name + ".wasm", /*run_init=*/false); !r)
      return base::make_error(fmt::format("installed module '{}': {}", m.name, r.error().message));
    spdlog::info("module '{}' is not in {} any more; loaded its installed copy", m.name,
                 (data_dir_ / "modules").string());
    hashes_[m.name] = m.hash;
  }
  refresh();
  return save_manifest();
}

std::vector<storage::ModuleVersion> ModuleManager::versions() const {
  std::vector<storage::ModuleVersion> out;
  for (const std::string& name : runtime_.module_names()) {
    auto it = hashes_.find(name);
    out.push_back({name, it == hashes_.end() ? std::string() : it->second});
  }
  return out;
}

base::Result<void> ModuleManager::save_manifest() {
  Installed now;
  now.grants = runtime_.grantable();
  for (const std::string& name : runtime_.module_names())
    now.modules.push_back(InstalledModule{name, hashes_[name], *runtime_.schema(name)});
  return ModuleStore(env_, data_dir_).write_manifest(now);
}

base::Result<ModuleManager::Published> ModuleManager::publish(std::span<const uint8_t> wasm) {
  ModuleStore store(env_, data_dir_);
  bool stored_before = store.contains(ModuleStore::hash_of(wasm));
  auto hash = store.put(wasm);  // before anything changes: the bytes are safe first
  if (!hash) return failed(hash.error());
  std::map<std::string, std::string> versions;
  for (const std::string& name : runtime_.module_names())
    versions[name] = runtime_.schema(name)->version.to_string();
  auto installed = runtime_.install(wasm, "the published module");
  if (!installed) {
    // Refused before the log names it: the store does not keep what never ran.
    if (!stored_before) (void)store.discard(*hash);
    return failed(installed.error());
  }
  const std::string& name = installed->module;
  hashes_[name] = *hash;
  const runtime::TransactionInputs& inputs = installed->migration;
  if (auto r = hooks_.record(
          storage::publish_record({name, *hash}, inputs.timestamp_us, inputs.random_seed));
      !r)
    spdlog::error("publishing {}: the log did not record it: {}", name, r.error().message);
  if (!installed->replaced) {
    if (auto r = runtime_.run_init(name); !r) {  // it unloaded the module
      hashes_.erase(name);
      refresh();
      (void)hooks_.record(storage::remove_record(name));
      return failed(r.error());
    }
    hooks_.ran_init(name);
  }
  runtime_.fire(name, abi::EventName{abi::EventName::Kind::Load}, {});
  refresh();
  Published published{name, runtime_.schema(name)->version.to_string(),
                      installed->replaced ? versions[name] : ""};
  std::string& file = files_[name];
  if (file.empty()) file = name + ".wasm";
  if (auto r = env_.write_atomically(data_dir_ / "modules" / file, wasm); !r)
    return failed(r.error());
  if (auto r = save_manifest(); !r) return failed(r.error());
  hooks_.changed();
  spdlog::info("published {} {}{}", name, published.version,
               installed->replaced ? " (replacing " + published.previous_version + ")" : "");
  return published;
}

base::Result<runtime::PublishPlan> ModuleManager::plan_publish(std::span<const uint8_t> wasm) {
  return runtime_.plan_publish(wasm, "the published module");
}

base::Result<uint64_t> ModuleManager::remove(const std::string& module) {
  if (!runtime_.schema(module))
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  for (const std::string& other : runtime_.module_names())
    for (const abi::DependencyDef& dep : runtime_.schema(other)->dependencies)
      if (dep.module == module && dep.node.empty())
        return base::make_error(
            fmt::format("module '{}' is needed by '{}'; remove that first", module, other));
  uint64_t rows = 0;
  for (const abi::TableDef& t : runtime_.schema(module)->tables)
    rows += runtime_.table(module, t.name)->size();
  if (auto r = runtime_.unload(module); !r) return failed(r.error());
  if (auto r = hooks_.record(storage::remove_record(module)); !r)
    spdlog::error("removing {}: the log did not record it: {}", module, r.error().message);
  hashes_.erase(module);
  refresh();
  if (auto it = files_.find(module); it != files_.end()) {
    std::error_code ec;
    std::filesystem::remove(data_dir_ / "modules" / it->second, ec);
    files_.erase(it);
  }
  hooks_.removed(module);
  if (auto r = save_manifest(); !r) return failed(r.error());
  hooks_.changed();
  spdlog::info("removed module {} and its {} rows", module, rows);
  return rows;
}

std::shared_ptr<const abi::ModuleSchema> ModuleManager::schema(const std::string& module) const {
  auto it = schemas_.find(module);
  return it == schemas_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const abi::ModuleSchema>> ModuleManager::schemas() const {
  std::vector<std::shared_ptr<const abi::ModuleSchema>> out;
  for (const auto& [name, schema] : schemas_) out.push_back(schema);
  return out;
}

std::string ModuleManager::installed_hash(const std::string& module) const {
  auto it = hashes_.find(module);
  return it == hashes_.end() ? std::string() : it->second;
}

base::Result<std::vector<uint8_t>> ModuleManager::wasm(const std::string& hash) const {
  auto bytes = ModuleStore(env_, data_dir_).get(hash);
  if (!bytes) return failed(bytes.error());
  return std::move(bytes).value();
}

std::vector<ModuleManager::ModuleInfo> ModuleManager::describe() const {
  std::vector<ModuleInfo> out;
  for (const std::string& name : runtime_.module_names()) {
    ModuleInfo info{schemas_.at(name), runtime_.executor_of(name).value_or(0), {}};
    for (const abi::TableDef& t : info.schema->tables)
      info.table_rows.push_back(runtime_.table(name, t.name)->size());
    out.push_back(std::move(info));
  }
  return out;
}

void ModuleManager::refresh() {
  schemas_.clear();
  for (const std::string& name : runtime_.module_names())
    schemas_[name] = std::make_shared<const abi::ModuleSchema>(*runtime_.schema(name));
}

}  // namespace interstice::node
