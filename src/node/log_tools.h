// Offline tools over a data directory's transaction log: inspection and
// replay (docs/storage.md, "Tools"). They load DIR/modules for the schemas
// (to decode rows and arguments) and never write to the log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"

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
};

struct ReplayReport {
  uint64_t transactions = 0;
  double seconds = 0;
  std::optional<std::string> divergence;  // the first difference, with --verify
  std::vector<std::string> notes;         // what could not be reproduced exactly
};

base::Result<ReplayReport> replay_log(base::Env& env, const std::filesystem::path& data_dir,
                                      const ReplayOptions& options);

}  // namespace interstice::node
