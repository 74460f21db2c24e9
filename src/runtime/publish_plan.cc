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

const abi::TableDef* find_table(const abi::ModuleSchema& schema, const std::string& name) {
  for (const abi::TableDef& t : schema.tables)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

const char* to_string(TableChange change) {
  static constexpr const char* kNames[] = {"new", "kept", "changed", "dropped"};
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
    bool same = table_signature(*old, *before) == table_signature(next, table);
    plan.tables.push_back(
        {table.name, same ? TableChange::Kept : TableChange::Changed, rows_of(table.name)});
  }
  if (old)
    for (const abi::TableDef& table : old->tables)
      if (!find_table(next, table.name))
        plan.tables.push_back({table.name, TableChange::Dropped, rows_of(table.name)});
  for (const TablePlan& t : plan.tables) {
    if (t.rows == 0 || t.change == TableChange::Kept) continue;
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

}  // namespace interstice::runtime
