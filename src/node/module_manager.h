// ModuleManager: the node's set of modules (docs/node.md, "Loading rules"): loading
// the installed set at start, publishing (install or replace), removing, and
// the manifest of what is installed (module_store.h), kept in memory and
// written after every change.
//
// Contract:
// - load_all, at start: loads DATA_DIR/modules/*.wasm (reported one by one:
//   reports()), then the installed modules no longer there from the store,
//   without running init (recovery runs it), and records the set.
// - publish: stores the wasm by hash before anything changes, installs it
//   (running init) or replaces the loaded module of that name (keeping its
//   rows; refused if a table with rows changed its definition), writes it to
//   DATA_DIR/modules and records the set. A refusal changes nothing.
// - remove: refused while another loaded module of this node depends on it;
//   unloads it (its rows go), deletes its file and records the set;
//   returns how many rows went.
// - Every change ends with Hooks::changed, and a module whose init ran is
//   told through ran_init (removed: through removed).
// - Every change is logged (Hooks::record) as a lifecycle record
//   (storage/lifecycle_record.h): a publish before the init it runs, a
//   removal after it, so replay meets them where the node did.
// - The manifest also holds the authority grants: save_manifest records the
//   runtime's policy (authority_policy.h calls it).
//
// Threading: load_all, publish, remove, save_manifest, refresh and describe run
// inside exclusive sections (they change or read every module); schema and
// installed_hash read what those wrote, inside shared sections or tasks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "base/env.h"
#include "base/result.h"
#include "node/module_directory.h"
#include "runtime/runtime.h"
#include "storage/lifecycle_record.h"

namespace interstice::node {

class ModuleManager {
 public:
  struct Hooks {
    std::function<void(const std::string& module)> ran_init;
    std::function<void(const std::string& module)> removed;
    // After the set changed and was recorded (connect to the nodes the
    // modules declare, take a snapshot).
    std::function<void()> changed;
    // Appends a lifecycle record to the log.
    std::function<base::Result<void>(const storage::TxRecord&)> record;
  };
  ModuleManager(base::Env& env, std::filesystem::path data_dir, runtime::Runtime& runtime,
                Hooks hooks);

  base::Result<void> load_all();
  const std::vector<ModuleLoadReport>& reports() const { return reports_; }

  struct Published {
    std::string module;
    std::string version;
    std::string previous_version;  // empty if it was not loaded before
  };
  base::Result<Published> publish(std::span<const uint8_t> wasm);
  // What publish would do, changing nothing (publish --dry-run).
  base::Result<runtime::PublishPlan> plan_publish(std::span<const uint8_t> wasm);
  base::Result<uint64_t> remove(const std::string& module);
  base::Result<void> save_manifest();
  // After modules were unloaded from outside (recovery unloads a module whose
  // init fails): forgets them.
  void refresh();

  // The schema a loaded module declares (immutable; replaced, not changed,
  // when the module is), or null.
  std::shared_ptr<const abi::ModuleSchema> schema(const std::string& module) const;
  // Every loaded module's schema, by name.
  std::vector<std::shared_ptr<const abi::ModuleSchema>> schemas() const;
  // The loaded modules and their wasm's hashes, in load order.
  std::vector<storage::ModuleVersion> versions() const;
  // The store's hash of a loaded module's wasm (empty if none).
  std::string installed_hash(const std::string& module) const;
  // The installed wasm of a hash (any thread: the store is content-addressed).
  base::Result<std::vector<uint8_t>> wasm(const std::string& hash) const;

  struct ModuleInfo {
    std::shared_ptr<const abi::ModuleSchema> schema;
    uint32_t executor = 0;
    std::vector<size_t> table_rows;  // by schema->tables' order
  };
  // Each loaded module, in load order (it reads every table's size).
  std::vector<ModuleInfo> describe() const;

 private:
  base::Env& env_;
  const std::filesystem::path data_dir_;
  runtime::Runtime& runtime_;
  const Hooks hooks_;
  // All exclusive (see Threading):
  std::map<std::string, std::string> hashes_;  // the installed wasm of each loaded module
  std::map<std::string, std::string> files_;   // the file of DATA_DIR/modules of each
  // The loaded modules' schemas, shared with readers; rebuilt on every change.
  std::map<std::string, std::shared_ptr<const abi::ModuleSchema>> schemas_;
  std::vector<ModuleLoadReport> reports_;  // set by load_all
};

}  // namespace interstice::node
