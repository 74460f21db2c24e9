// RecordDecoders: which runtime decodes the arguments and rows of a logged
// transaction for `log inspect` and replay's reports. A module loaded now
// (DATA_DIR/modules, installed) decodes its own records; a module that is
// not loaded any more decodes with the version that the log's lifecycle
// records say was loaded at the record's offset, read from the module store
// and loaded (without init) into a runtime of its own on first use.
//
// Threading: one thread (the caller's).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "runtime/runtime.h"

namespace interstice::node {

// The options of a runtime that reads a data directory's log offline (log
// inspect, replay): its compiled-code cache, no module logs, and every
// authority grantable, since nothing privileged runs there.
runtime::RuntimeOptions offline_runtime_options(const std::filesystem::path& data_dir);

// A runtime to read or replay the log with: with `load`, the modules of
// DATA_DIR/modules and the installed ones (without running init); without,
// none (replay loads them as the log's lifecycle records say).
// `adjust` may change the options first (replay's observers).
base::Result<std::unique_ptr<runtime::Runtime>> offline_runtime(
    base::Env& env, const std::filesystem::path& data_dir, bool load = true,
    const std::function<void(runtime::RuntimeOptions&)>& adjust = {});

class RecordDecoders {
 public:
  // `current` holds the modules loaded now; it must outlive this.
  RecordDecoders(base::Env& env, std::filesystem::path data_dir, const runtime::Runtime& current);
  ~RecordDecoders();

  // The runtime that knows `module` as it ran the record at `offset`, or
  // null when none does (the version is not in the store, or not loadable).
  const runtime::Runtime* for_record(const std::string& module, uint64_t offset);

 private:
  void read_history();

  base::Env& env_;
  const std::filesystem::path data_dir_;
  const runtime::Runtime& current_;
  bool history_read_ = false;
  // module -> (offset of the lifecycle record, wasm hash; empty once removed), ascending.
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> versions_;
  std::map<std::string, std::unique_ptr<runtime::Runtime>> by_hash_;  // null: could not load
};

}  // namespace interstice::node
