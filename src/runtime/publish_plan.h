// What publishing a module does to the tables of the module it replaces,
// worked out from the two schemas and the rows the old tables hold: for
// Runtime::replace, which refuses what it cannot carry over, and for
// `interstice publish --dry-run`, which reports it without changing
// anything.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "runtime/table.h"

namespace interstice::runtime {

enum class TableChange {
  New,        // only the new version declares it: it starts empty
  Kept,       // the same definition: its rows are kept
  Reindexed,  // the same rows, other secondary indexes: its rows are kept and indexed anew
              // (refused if a new unique index finds rows that share a value)
  Changed,    // its definition changed: allowed only while it has no rows
  Dropped,    // only the old version declares it: allowed only while it has no rows
};
const char* to_string(TableChange change);

struct TablePlan {
  std::string table;
  TableChange change = TableChange::New;
  uint64_t rows = 0;  // what the old version's table holds now
  std::vector<std::string> added_indexes, dropped_indexes;  // Reindexed
};

struct PublishPlan {
  std::string module;
  std::string version;
  std::string previous_version;   // empty: a new module, whose init runs
  std::vector<TablePlan> tables;  // the new version's tables in order, then dropped ones
  std::string refusal;            // why the publish is refused, or empty
};

// The plan for replacing `old` (whose tables hold `old_rows`, by name) with
// `next`; or, with `old` null, for installing `next` as a new module.
PublishPlan plan_publish(const abi::ModuleSchema* old,
                         const std::map<std::string, uint64_t>& old_rows,
                         const abi::ModuleSchema& next);

// The unique indexes of `next` that `old` does not have on the same column:
// the rows must be checked against them.
std::vector<abi::IndexDef> new_unique_indexes(const abi::TableDef& old, const abi::TableDef& next);

// Why the rows of `table` cannot take the unique index `index` (rows that
// share a value in its column, the first of them named), or empty.
std::string unique_violation(const Table& table, const abi::IndexDef& index);

}  // namespace interstice::runtime
