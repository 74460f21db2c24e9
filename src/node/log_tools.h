// Offline tools over a data directory's transaction log: inspection and
// replay (docs/storage.md, "Tools"). They load DIR/modules for the schemas
// (to decode rows and arguments) and never write to the log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "runtime/runtime.h"

namespace interstice::node {

struct InspectOptions {
  std::optional<std::string> module;  // only transactions of this module
  std::optional<std::string> table;   // only transactions touching this table
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
  bool json = false;  // one JSON object per transaction instead of text
};

// Prints the selected transactions, one line (or JSON object) each, to `out`.
base::Result<void> inspect_log(base::Env& env, const std::filesystem::path& data_dir,
                               const InspectOptions& options,
                               const std::function<void(const std::string&)>& out);

struct ReplayOptions {
  bool verify = false;              // re-execute and compare, instead of re-applying effects
  std::optional<uint64_t> until;    // stop after this offset
  std::filesystem::path export_to;  // write the resulting tables as JSON here, if set
  std::function<void(uint64_t done, uint64_t total)> progress;
  // While re-executing (verify): each reducer call as it ran (the offset of
  // its record first, its table operations and privileged host calls timed),
  // and each line a module logs.
  std::function<void(uint64_t offset, const runtime::CallObservation&)> on_call_end;
  std::function<void(uint64_t offset, const runtime::LogRecord&)> on_module_log;
  // With verify: only the records from this offset on are re-executed; those
  // before it are applied from their logged effects. 0: every record.
  uint64_t verify_from = 0;
  // `on_state` sees the tables as they were after every record up to each
  // offset of `states_at` (once the replay passes it, or at the log's end).
  std::vector<uint64_t> states_at;
  std::function<void(uint64_t at, const runtime::Runtime& tables)> on_state;
};

struct ReplayReport {
  uint64_t transactions = 0;
  double seconds = 0;
  std::optional<std::string> divergence;  // the first difference, with --verify
  std::vector<std::string> notes;         // what could not be reproduced exactly
};

base::Result<ReplayReport> replay_log(base::Env& env, const std::filesystem::path& data_dir,
                                      const ReplayOptions& options);

// A module's log level by its name in the node's log lines ("warning" for Warn).
const char* module_log_level(abi::LogLevel level);

// One record as `log inspect` prints it, from its JSON form (--json).
std::string transaction_text(const nlohmann::ordered_json& record);

// A row as JSON, decoded with `rt`'s schema of `module`, or its bytes in hex
// when `rt` is null or cannot decode it.
nlohmann::ordered_json decoded_row(const runtime::Runtime* rt, const std::string& module,
                                   const std::string& table, std::span<const uint8_t> row);

}  // namespace interstice::node
