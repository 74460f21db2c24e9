#include "runtime/publish_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "abi/serialize.h"

namespace interstice::runtime {

namespace {

using Bytes = std::vector<uint8_t>;

// The encoded type definitions reachable from `type_name`, in a fixed order:
// two tables are compatible when their definitions and these match.
void collect_types(const abi::ModuleSchema& schema, const std::string& type_name,
                   std::vector<std::string>* seen, Bytes* out) {
  if (std::find(seen->begin(), seen->end(), type_name) != seen->end()) return;
  seen->push_back(type_name);
  const abi::TypeDef* def = schema.find_type(type_name);
  if (!def) return;
  Bytes encoded = abi::to_bytes(*def);
  out->insert(out->end(), encoded.begin(), encoded.end());
  std::function<void(const abi::Type&)> visit = [&](const abi::Type& t) {
    if (t.kind == abi::TypeKind::Named) collect_types(schema, t.name, seen, out);
    for (const abi::Type& arg : t.args) visit(arg);
  };
  for (const abi::Field& f : def->fields) visit(f.type);
}

Bytes table_signature(const abi::ModuleSchema& schema, const abi::TableDef& table) {
  Bytes out = abi::to_bytes(table);
  std::vector<std::string> seen;
  collect_types(schema, table.row_type, &seen, &out);
  return out;
}

// The definition without its secondary indexes: a table whose other parts
// match keeps its rows across any change of indexes.
Bytes signature_without_indexes(const abi::ModuleSchema& schema, abi::TableDef table) {
  table.indexes.clear();
  return table_signature(schema, table);
}

bool has_index(const abi::TableDef& table, const abi::IndexDef& index) {
  return std::any_of(table.indexes.begin(), table.indexes.end(), [&](const abi::IndexDef& i) {
    return i.name == index.name && i.column == index.column && i.unique == index.unique;
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

const abi::TableDef* find_table(const abi::ModuleSchema& schema, const std::string& name) {
  for (const abi::TableDef& t : schema.tables)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

const char* to_string(TableChange change) {
  static constexpr const char* kNames[] = {"new", "kept", "reindexed", "changed", "dropped"};
  return kNames[static_cast<size_t>(change)];
}

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
    const abi::TableDef* before = old ? find_table(*old, table.name) : nullptr;
    if (!before) {
      plan.tables.push_back({table.name, TableChange::New, 0});
      continue;
    }
    TablePlan t{table.name, TableChange::Kept, rows_of(table.name), {}, {}};
    if (table_signature(*old, *before) != table_signature(next, table)) {
      bool same_rows =
          signature_without_indexes(*old, *before) == signature_without_indexes(next, table);
      t.change = same_rows ? TableChange::Reindexed : TableChange::Changed;
      if (same_rows) {
        for (const abi::IndexDef& index : table.indexes)
          if (!has_index(*before, index)) t.added_indexes.push_back(index.name);
        for (const abi::IndexDef& index : before->indexes)
          if (!has_index(table, index)) t.dropped_indexes.push_back(index.name);
      }
    }
    plan.tables.push_back(std::move(t));
  }
  if (old)
    for (const abi::TableDef& table : old->tables)
      if (!find_table(next, table.name))
        plan.tables.push_back({table.name, TableChange::Dropped, rows_of(table.name)});
  for (const TablePlan& t : plan.tables) {
    if (t.rows == 0 || t.change == TableChange::Kept || t.change == TableChange::Reindexed)
      continue;
    plan.refusal = fmt::format(
        "cannot replace module '{}' with {}: table {} has {} rows and {} "
        "(migrations are not supported yet; `interstice module remove` deletes the module with "
        "its rows)",
        next.name, plan.version, t.table, t.rows,
        t.change == TableChange::Dropped ? "the new version drops it" : "its definition changed");
    break;
  }
  return plan;
}

std::vector<abi::IndexDef> new_unique_indexes(const abi::TableDef& old, const abi::TableDef& next) {
  std::vector<abi::IndexDef> out;
  for (const abi::IndexDef& index : next.indexes) {
    if (!index.unique) continue;
    bool had = std::any_of(old.indexes.begin(), old.indexes.end(), [&](const abi::IndexDef& i) {
      return i.unique && i.column == index.column;
    });
    if (!had) out.push_back(index);
  }
  return out;
}

std::string unique_violation(const Table& table, const abi::IndexDef& index) {
  const RowLayout& layout = table.layout();
  std::map<std::string, uint64_t> rows_by_key;
  std::map<std::string, std::string> shown;
  std::vector<ByteView> columns;
  table.for_each([&](const Bytes& row) {
    if (!layout.split(row, &columns).empty() || index.column >= columns.size()) return;
    const abi::Type& type = layout.column_type(index.column);
    std::string key = order_key(columns[index.column], type);
    if (++rows_by_key[key] == 2) shown[key] = describe_value(columns[index.column], type);
  });
  for (const auto& [key, value] : shown)  // the first shared value, in key order
    return fmt::format(
        "the new unique index {} of table {} finds {} rows with {} = {} ({} shared values in "
        "all)",
        index.name, table.name(), rows_by_key[key], layout.column_name(index.column), value,
        shown.size());
  return {};
}

}  // namespace interstice::runtime
