// What publishing a module does to the tables of the module it replaces,
// worked out from the two schemas and the rows the old tables hold: for
// Runtime::replace, which refuses what it cannot carry over, and for
// `interstice publish --dry-run`, which reports it without changing
// anything.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "runtime/table.h"

namespace interstice::runtime {

enum class TableChange {
  New,        // only the new version declares it: it starts empty
  Kept,       // the same rows and indexes: its rows are kept
  Reindexed,  // the same rows, other secondary indexes: its rows are kept and indexed anew
              // (refused if a new unique index finds rows that share a value)
  Extended,   // the row type gained columns, each with a declared default: every row is
              // kept with the defaults added (and indexed anew, as Reindexed)
  Migrated,   // a migration the new version declares takes the old rows (MigrationDef);
              // the new table of that name, if any, holds what the migration writes
  Changed,    // its definition changed otherwise: allowed only while it has no rows
  Dropped,    // only the old version declares it: allowed only while it has no rows
};
const char* to_string(TableChange change);

struct TablePlan {
  std::string table;
  TableChange change = TableChange::New;
  uint64_t rows = 0;  // what the old version's table holds now
  std::vector<std::string> added_indexes, dropped_indexes;  // Reindexed, Extended
  std::vector<std::string> added_columns;                   // Extended
  std::string migration;                                    // Migrated: the reducer
  std::string problem;  // Changed: why the change is not automatic
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

// The migration of `next` that takes the rows of `old`'s table `table`, if any.
const abi::MigrationDef* migration_for(const abi::ModuleSchema& old, const abi::ModuleSchema& next,
                                       const std::string& table);

// Where each column of `next`'s row comes from in `old`'s (the old column's
// index), or nullopt for a column the new version adds.
std::vector<std::optional<uint32_t>> column_sources(const abi::ModuleSchema& old,
                                                    const abi::TableDef& old_table,
                                                    const abi::ModuleSchema& next,
                                                    const abi::TableDef& next_table);

// The unique indexes of `next` that `old` does not have on the same column
// (by name): the rows must be checked against them.
std::vector<abi::IndexDef> new_unique_indexes(const abi::ModuleSchema& old_schema,
                                              const abi::TableDef& old,
                                              const abi::ModuleSchema& next_schema,
                                              const abi::TableDef& next);

// Why the rows of `table` cannot take the unique index `index` on its column
// `column` (rows that share a value there, the first of them named), or
// empty.
std::string unique_violation(const Table& table, const abi::IndexDef& index, uint32_t column);

}  // namespace interstice::runtime
