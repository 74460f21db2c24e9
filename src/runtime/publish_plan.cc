#include "runtime/publish_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "abi/serialize.h"
#include "abi/type_match.h"

namespace interstice::runtime {

namespace {

using Bytes = std::vector<uint8_t>;

abi::Type named(const std::string& name) {
  abi::Type t;
  t.kind = abi::TypeKind::Named;
  t.name = name;
  return t;
}

const abi::TypeDef* row_type(const abi::ModuleSchema& schema, const abi::TableDef& table) {
  return schema.find_type(table.row_type);
}

// Empty when the two tables hold the same rows: the row types have the same
// structure (names of structs aside) and the primary key and auto_inc
// columns are the same; otherwise how they differ.
std::string shape_difference(const abi::ModuleSchema& old_schema, const abi::TableDef& old,
                             const abi::ModuleSchema& next_schema, const abi::TableDef& next) {
  if (std::string why =
          abi::type_mismatch(named(old.row_type), abi::TypeResolver(old_schema.types),
                             named(next.row_type), abi::TypeResolver(next_schema.types));
      !why.empty())
    return why;
  if (old.primary_key != next.primary_key) return "the primary key moved to another column";
  if (old.auto_inc != next.auto_inc) return "the auto_inc column changed";
  return {};
}

// Empty when `next` is `old` with columns added, each with a default: the
// old columns keep their names, order and types, and the primary key and
// auto_inc columns stay the same columns. Otherwise why not.
std::string extension_problem(const abi::ModuleSchema& old_schema, const abi::TableDef& old,
                              const abi::ModuleSchema& next_schema, const abi::TableDef& next) {
  const abi::TypeDef* old_row = row_type(old_schema, old);
  const abi::TypeDef* next_row = row_type(next_schema, next);
  if (!old_row || !next_row) return "its row type is not defined";
  std::vector<std::optional<uint32_t>> sources = column_sources(old_schema, old, next_schema, next);
  std::vector<bool> kept(old_row->fields.size(), false);
  uint32_t last = 0;
  bool any = false;
  for (uint32_t c = 0; c < sources.size(); ++c) {
    const abi::Field& field = next_row->fields[c];
    if (!sources[c]) {
      if (!next.default_of(c)) return fmt::format("new column {} has no default", field.name);
      continue;
    }
    uint32_t from = *sources[c];
    if (any && from < last) return fmt::format("column {} moved", field.name);
    last = from;
    any = true;
    kept[from] = true;
    if (std::string why =
            abi::type_mismatch(old_row->fields[from].type, abi::TypeResolver(old_schema.types),
                               field.type, abi::TypeResolver(next_schema.types));
        !why.empty())
      return fmt::format("column {} changed type ({})", field.name, why);
  }
  for (uint32_t c = 0; c < kept.size(); ++c)
    if (!kept[c]) return fmt::format("column {} is gone", old_row->fields[c].name);
  auto same_column = [&](uint32_t old_column, uint32_t next_column) {
    return next_column < sources.size() && sources[next_column] == old_column;
  };
  if (!same_column(old.primary_key, next.primary_key))
    return "the primary key moved to another column";
  if (old.auto_inc.size() != next.auto_inc.size() ||
      !std::equal(old.auto_inc.begin(), old.auto_inc.end(), next.auto_inc.begin(), same_column))
    return "the auto_inc column changed";
  return {};
}

// An index is the same when its name, uniqueness and column (by name) are.
bool has_index(const abi::ModuleSchema& schema, const abi::TableDef& table,
               const abi::ModuleSchema& other_schema, const abi::TableDef& other_table,
               const abi::IndexDef& index) {
  const abi::TypeDef* row = row_type(schema, table);
  const abi::TypeDef* other_row = row_type(other_schema, other_table);
  if (!row || !other_row || index.column >= other_row->fields.size()) return false;
  const std::string& column = other_row->fields[index.column].name;
  return std::any_of(table.indexes.begin(), table.indexes.end(), [&](const abi::IndexDef& i) {
    return i.name == index.name && i.unique == index.unique && i.column < row->fields.size() &&
           row->fields[i.column].name == column;
  });
}

// A column's value for a message: integers, booleans and strings as such,
// anything else by its size.
std::string describe_value(ByteView value, const abi::Type& type) {
  using abi::TypeKind;
  auto unsigned_value = [&] {
    uint64_t v = 0;
    for (size_t i = 0; i < value.size() && i < 8; ++i) v |= uint64_t(value[i]) << (8 * i);
    return v;
  };
  auto signed_value = [&] {
    uint64_t v = unsigned_value();
    int bits = static_cast<int>(value.size()) * 8;
    if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t(0) << bits;  // sign-extend
    return static_cast<int64_t>(v);
  };
  switch (type.kind) {
    case TypeKind::Bool:
      return unsigned_value() ? "true" : "false";
    case TypeKind::U8:
    case TypeKind::U16:
    case TypeKind::U32:
    case TypeKind::U64:
      return std::to_string(unsigned_value());
    case TypeKind::I8:
    case TypeKind::I16:
    case TypeKind::I32:
    case TypeKind::I64:
      return std::to_string(signed_value());
    case TypeKind::String:
      if (value.size() >= 4) return "\"" + std::string(value.begin() + 4, value.end()) + "\"";
      break;
    default:
      break;
  }
  return fmt::format("a value of {} bytes", value.size());
}

}  // namespace

const char* to_string(TableChange change) {
  static constexpr const char* kNames[] = {"new",      "kept",    "reindexed", "extended",
                                           "migrated", "changed", "dropped"};
  return kNames[static_cast<size_t>(change)];
}

const abi::MigrationDef* migration_for(const abi::ModuleSchema& old, const abi::ModuleSchema& next,
                                       const std::string& table) {
  if (!old.find_table(table)) return nullptr;
  for (const abi::MigrationDef& m : next.migrations)
    if (m.table == table && abi::satisfies(old.version, m.from)) return &m;
  return nullptr;
}

std::vector<std::optional<uint32_t>> column_sources(const abi::ModuleSchema& old,
                                                    const abi::TableDef& old_table,
                                                    const abi::ModuleSchema& next,
                                                    const abi::TableDef& next_table) {
  std::vector<std::optional<uint32_t>> sources;
  const abi::TypeDef* old_row = row_type(old, old_table);
  const abi::TypeDef* next_row = row_type(next, next_table);
  if (!old_row || !next_row) return sources;
  for (const abi::Field& field : next_row->fields) {
    std::optional<uint32_t> source;
    for (uint32_t c = 0; c < old_row->fields.size(); ++c)
      if (old_row->fields[c].name == field.name) source = c;
    sources.push_back(source);
  }
  return sources;
}

namespace {

// The indexes one table has and the other has not, by name.
void compare_indexes(const abi::ModuleSchema& old, const abi::TableDef& before,
                     const abi::ModuleSchema& next, const abi::TableDef& table, TablePlan* t) {
  for (const abi::IndexDef& index : table.indexes)
    if (!has_index(old, before, next, table, index)) t->added_indexes.push_back(index.name);
  for (const abi::IndexDef& index : before.indexes)
    if (!has_index(next, table, old, before, index)) t->dropped_indexes.push_back(index.name);
}

TablePlan plan_table(const abi::ModuleSchema& old, const abi::TableDef& before,
                     const abi::ModuleSchema& next, const abi::TableDef& table, uint64_t rows) {
  TablePlan t{table.name, TableChange::Kept, rows};
  if (const abi::MigrationDef* m = migration_for(old, next, table.name)) {
    t.change = TableChange::Migrated;
    t.migration = m->reducer;
    return t;
  }
  if (shape_difference(old, before, next, table).empty()) {
    compare_indexes(old, before, next, table, &t);
    if (!t.added_indexes.empty() || !t.dropped_indexes.empty()) t.change = TableChange::Reindexed;
    return t;
  }
  t.problem = extension_problem(old, before, next, table);
  if (!t.problem.empty()) {
    t.change = TableChange::Changed;
    return t;
  }
  t.change = TableChange::Extended;
  std::vector<std::optional<uint32_t>> sources = column_sources(old, before, next, table);
  const abi::TypeDef* row = row_type(next, table);
  for (uint32_t c = 0; c < sources.size(); ++c)
    if (!sources[c]) t.added_columns.push_back(row->fields[c].name);
  compare_indexes(old, before, next, table, &t);
  return t;
}

// Why the migration `m` cannot take the rows of `old`'s table `table`, or
// empty.
std::string migration_problem(const abi::ModuleSchema& old, const abi::TableDef& table,
                              const abi::ModuleSchema& next, const abi::MigrationDef& m) {
  const abi::ReducerDef* reducer = next.find_reducer(m.reducer);
  if (!reducer || reducer->params.size() != 1) return "it must take the old row";
  const abi::Type& param = reducer->params[0].type;
  if (std::string why = abi::type_mismatch(param, abi::TypeResolver(next.types),
                                           named(table.row_type), abi::TypeResolver(old.types));
      !why.empty())
    return fmt::format("it takes {}, which is not the shape of version {}'s rows ({}): {}",
                       abi::to_string(param), old.version.to_string(), table.row_type, why);
  return {};
}

std::string refusal_for(const abi::ModuleSchema& old, const abi::ModuleSchema& next,
                        const TablePlan& t) {
  std::string start = fmt::format("cannot replace module '{}' with {}: table {} has {} rows and ",
                                  next.name, next.version.to_string(), t.table, t.rows);
  std::string migrate =
      fmt::format("INTERSTICE_MIGRATE({}, fn, \"={}\")", t.table, old.version.to_string());
  if (t.change == TableChange::Dropped)
    return start + fmt::format(
                       "the new version drops it; declare a migration ({}) to move or drop its "
                       "rows, or delete the module with its rows (`interstice module remove`)",
                       migrate);
  return start +
         fmt::format(
             "its definition changed ({}); give new columns a default (column_default), declare "
             "a migration ({}), or delete the module with its rows (`interstice module remove`)",
             t.problem, migrate);
}

}  // namespace

PublishPlan plan_publish(const abi::ModuleSchema* old,
                         const std::map<std::string, uint64_t>& old_rows,
                         const abi::ModuleSchema& next) {
  PublishPlan plan{
      next.name, next.version.to_string(), old ? old->version.to_string() : "", {}, ""};
  auto rows_of = [&](const std::string& table) {
    auto it = old_rows.find(table);
    return it == old_rows.end() ? uint64_t{0} : it->second;
  };
  for (const abi::TableDef& table : next.tables) {
    const abi::TableDef* before = old ? old->find_table(table.name) : nullptr;
    if (!before)
      plan.tables.push_back({table.name, TableChange::New, 0});
    else
      plan.tables.push_back(plan_table(*old, *before, next, table, rows_of(table.name)));
  }
  if (old)
    for (const abi::TableDef& table : old->tables) {
      if (next.find_table(table.name)) continue;
      TablePlan t{table.name, TableChange::Dropped, rows_of(table.name)};
      if (const abi::MigrationDef* m = migration_for(*old, next, table.name)) {
        t.change = TableChange::Migrated;
        t.migration = m->reducer;
      }
      plan.tables.push_back(std::move(t));
    }
  for (const TablePlan& t : plan.tables) {
    if (t.change == TableChange::Migrated) {
      const abi::MigrationDef* m = migration_for(*old, next, t.table);
      if (std::string why = migration_problem(*old, *old->find_table(t.table), next, *m);
          !why.empty()) {
        plan.refusal =
            fmt::format("cannot replace module '{}' with {}: the migration {} of table {}: {}",
                        next.name, plan.version, m->reducer, t.table, why);
        break;
      }
    }
    if (t.rows > 0 && (t.change == TableChange::Changed || t.change == TableChange::Dropped)) {
      plan.refusal = refusal_for(*old, next, t);
      break;
    }
  }
  return plan;
}

std::vector<abi::IndexDef> new_unique_indexes(const abi::ModuleSchema& old_schema,
                                              const abi::TableDef& old,
                                              const abi::ModuleSchema& next_schema,
                                              const abi::TableDef& next) {
  const abi::TypeDef* old_row = row_type(old_schema, old);
  const abi::TypeDef* next_row = row_type(next_schema, next);
  std::vector<abi::IndexDef> out;
  if (!old_row || !next_row) return out;
  for (const abi::IndexDef& index : next.indexes) {
    if (!index.unique || index.column >= next_row->fields.size()) continue;
    const std::string& column = next_row->fields[index.column].name;
    bool had = std::any_of(old.indexes.begin(), old.indexes.end(), [&](const abi::IndexDef& i) {
      return i.unique && i.column < old_row->fields.size() &&
             old_row->fields[i.column].name == column;
    });
    if (!had) out.push_back(index);
  }
  return out;
}

std::string unique_violation(const Table& table, const abi::IndexDef& index, uint32_t column) {
  const RowLayout& layout = table.layout();
  std::map<std::string, uint64_t> rows_by_key;
  std::map<std::string, std::string> shown;
  std::vector<ByteView> columns;
  table.for_each([&](const Bytes& row) {
    if (!layout.split(row, &columns).empty() || column >= columns.size()) return;
    const abi::Type& type = layout.column_type(column);
    std::string key = order_key(columns[column], type);
    if (++rows_by_key[key] == 2) shown[key] = describe_value(columns[column], type);
  });
  for (const auto& [key, value] : shown)  // the first shared value, in key order
    return fmt::format(
        "the new unique index {} of table {} finds {} rows with {} = {} ({} shared values in "
        "all)",
        index.name, table.name(), rows_by_key[key], layout.column_name(column), value,
        shown.size());
  return {};
}

}  // namespace interstice::runtime
