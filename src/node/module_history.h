// ModuleHistory: replay's view of which modules were loaded when. It applies
// the log's lifecycle records (storage/lifecycle_record.h) to an offline
// runtime, so that every transaction re-executes with the version of its
// module that ran it, and so that a restart looks to replay as it looked to
// the node: the modules in the node's load order, `ephemeral` tables empty,
// `stateful` tables as the snapshot the node restored had them.
//
// Threading: one thread (replay's).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "node/module_store.h"
#include "runtime/runtime.h"
#include "storage/lifecycle_record.h"

namespace interstice::node {

class ModuleHistory {
 public:
  // `runtime` starts with no modules; both must outlive this.
  ModuleHistory(base::Env& env, std::filesystem::path data_dir, runtime::Runtime& runtime);

  // Applies the lifecycle record at `offset` (record.trigger.is_lifecycle()).
  base::Result<void> apply(uint64_t offset, const storage::TxRecord& record);
  // What replay could not reproduce exactly, one sentence each (a snapshot
  // that is gone, say); replay goes on.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  base::Result<void> start(uint64_t offset, const storage::NodeStartRecord& start);
  base::Result<void> publish(uint64_t offset, const storage::TxRecord& record);
  base::Result<void> load(uint64_t offset, const storage::ModuleVersion& version);
  // The stored wasm of `version`, or an error naming the record.
  base::Result<std::vector<uint8_t>> stored(uint64_t offset, const storage::ModuleVersion& version);

  base::Env& env_;
  const std::filesystem::path data_dir_;
  runtime::Runtime& runtime_;
  ModuleStore store_;
  std::map<std::string, std::string> hashes_;  // each loaded module's wasm
  std::vector<std::string> notes_;
};

}  // namespace interstice::node
