// The replay debugger's tools, on a stopped node's data directory: the
// difference between the tables at two offsets (`interstice diff`), and one
// transaction's inputs, effects and log lines (`interstice tx`). Both replay
// the log (log_tools.h): the records before what is asked are applied from
// their logged effects, so they cost what `replay` does.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "runtime/runtime.h"

namespace interstice::node {

// What changed in one table between two offsets, rows decoded as JSON (rows
// are matched by primary key).
struct TableChanges {
  std::string table;  // "module.table"
  std::vector<nlohmann::ordered_json> inserted;
  std::vector<nlohmann::ordered_json> deleted;
  std::vector<std::pair<nlohmann::ordered_json, nlohmann::ordered_json>> updated;  // old, new
};

// The tables after every record up to `to`, against those after every record
// up to `from` (0: before the first), for the tables that changed, in name
// order. A table of a module loaded or removed in between counts as all
// inserted or all deleted.
base::Result<std::vector<TableChanges>> diff_tables(base::Env& env,
                                                    const std::filesystem::path& data_dir,
                                                    uint64_t from, uint64_t to);

struct TransactionReport {
  nlohmann::ordered_json record;          // as `log inspect --json` prints it
  std::vector<runtime::LogRecord> logs;   // what the modules logged as it ran again
  std::optional<std::string> divergence;  // if running it again did not give its effects
  // The transactions its commit queued (their TxRecord::parent is it), among
  // the next 100,000 records.
  std::vector<uint64_t> children;
};

// The transaction at `offset`, run again with its recorded inputs on the
// tables as they were before it; NotFound if no transaction has that offset.
base::Result<TransactionReport> explain_transaction(base::Env& env,
                                                    const std::filesystem::path& data_dir,
                                                    uint64_t offset);

}  // namespace interstice::node
