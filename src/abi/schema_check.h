// Host-side checks of a module schema, before anything of the module runs:
// every problem found, each a sentence naming the table, reducer or type.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "abi/event_name.h"
#include "abi/schema.h"
#include "abi/validate.h"

namespace interstice::abi {

namespace detail {

// The schema's names, looked up in constant time, so that checking a schema
// costs time proportional to its size (a module's schema is untrusted input).
struct SchemaIndex {
  std::unordered_map<std::string_view, const TypeDef*> types;
  std::unordered_map<std::string_view, const TableDef*> tables;
  std::unordered_map<std::string_view, const ReducerDef*> reducers;

  explicit SchemaIndex(const ModuleSchema& s) {
    for (const TypeDef& t : s.types) types.emplace(t.name, &t);  // the first wins, as find_type
    for (const TableDef& t : s.tables) tables.emplace(t.name, &t);
    for (const ReducerDef& r : s.reducers) reducers.emplace(r.name, &r);
  }
  const TypeDef* type(std::string_view name) const {
    auto it = types.find(name);
    return it == types.end() ? nullptr : it->second;
  }
};

// Empty when every named type in `type` is defined and it nests at most
// kMaxTypeDepth deep (decoded types always do; this covers built ones);
// otherwise what is wrong.
inline std::string type_problem(const Type& type, const SchemaIndex& index, int depth = 1) {
  if (depth > kMaxTypeDepth) return "nests deeper than 64";
  if (type.kind == TypeKind::Named)
    return index.type(type.name) ? std::string() : "has unknown type " + type.name;
  for (const Type& arg : type.args)
    if (std::string why = type_problem(arg, index, depth + 1); !why.empty()) return why;
  return {};
}

inline bool is_integer(TypeKind k) {
  return k == TypeKind::I8 || k == TypeKind::I16 || k == TypeKind::I32 || k == TypeKind::I64 ||
         k == TypeKind::U8 || k == TypeKind::U16 || k == TypeKind::U32 || k == TypeKind::U64;
}

// Primary keys and indexed columns: integers, bool, string or bytes (floats
// are not keys: NaN and -0.0 make equality ambiguous).
inline bool is_key_type(const Type& t) {
  return is_integer(t.kind) || t.kind == TypeKind::Bool || t.kind == TypeKind::String ||
         t.kind == TypeKind::Bytes;
}

inline bool valid_event(const std::string& event, const ModuleSchema& schema,
                        const SchemaIndex& index) {
  std::optional<EventName> parsed = EventName::parse(event);
  if (!parsed) return false;
  if (parsed->kind == EventName::Kind::LocalTable && parsed->module == schema.name)
    return index.tables.count(parsed->table) != 0;
  return true;  // another module's or node's table: checked when modules are linked
}

}  // namespace detail

// Every problem of the schema; empty when it is sound. Takes time
// proportional to the schema's size.
inline std::vector<std::string> check_schema(const ModuleSchema& s) {
  std::vector<std::string> problems;
  auto problem = [&](std::string text) { problems.push_back(std::move(text)); };
  const detail::SchemaIndex index(s);
  if (s.abi_version != kAbiVersion)
    problem("ABI version " + std::to_string(s.abi_version) +
            " is not supported (this node speaks " + std::to_string(kAbiVersion) + ")");
  if (s.name.empty()) problem("the module has no name");
  for (const TypeDef& t : s.types)
    for (const Field& f : t.fields)
      if (std::string why = detail::type_problem(f.type, index); !why.empty())
        problem("type " + t.name + ": field " + f.name + " " + why);
  std::unordered_set<std::string_view> table_names;
  for (const TableDef& t : s.tables) {
    if (!table_names.insert(t.name).second) problem("table " + t.name + " is declared twice");
    const TypeDef* row = index.type(t.row_type);
    if (row == nullptr || row->kind != TypeDefKind::Struct) {
      problem("table " + t.name + ": row type " + t.row_type + " is not a struct of this module");
      continue;
    }
    auto column = [&](uint32_t i) -> const Field* {
      return i < row->fields.size() ? &row->fields[i] : nullptr;
    };
    if (const Field* pk = column(t.primary_key); pk == nullptr)
      problem("table " + t.name + ": primary key column " + std::to_string(t.primary_key) +
              " does not exist");
    else if (!detail::is_key_type(pk->type))
      problem("table " + t.name + ": primary key " + pk->name + " has type " + to_string(pk->type) +
              ", which cannot be a key");
    if (t.auto_inc.size() > 1)
      problem("table " + t.name + ": at most one auto_inc column is supported");
    for (uint32_t c : t.auto_inc) {
      const Field* f = column(c);
      if (f == nullptr || !detail::is_integer(f->type.kind))
        problem("table " + t.name + ": auto_inc column " + std::to_string(c) +
                " is not an integer column");
    }
    for (const IndexDef& idx : t.indexes) {
      const Field* f = column(idx.column);
      if (f == nullptr || !detail::is_key_type(f->type))
        problem("table " + t.name + ": index " + idx.name + " is not on a key-typed column");
    }
    if (t.schedule.size() > 1) problem("table " + t.name + ": more than one schedule");
    for (const ScheduleDef& sched : t.schedule) {
      const Field* f = column(sched.column);
      const TypeDef* at = f && f->type.kind == TypeKind::Named ? index.type(f->type.name) : nullptr;
      bool shaped = at && at->kind == TypeDefKind::Struct && at->fields.size() == 2 &&
                    at->fields[0].name == "at_us" && at->fields[0].type.kind == TypeKind::I64 &&
                    at->fields[1].name == "every_us" && at->fields[1].type.kind == TypeKind::I64;
      if (!shaped)
        problem("table " + t.name + ": its schedule column is not an interstice::ScheduleAt");
      auto found = index.reducers.find(sched.reducer);
      const ReducerDef* r = found == index.reducers.end() ? nullptr : found->second;
      if (!r || r->params.size() != 1 || r->params[0].type.kind != TypeKind::Named ||
          r->params[0].type.name != t.row_type)
        problem("table " + t.name + ": its scheduled reducer " + sched.reducer +
                " must exist and take the row (" + t.row_type + ")");
    }
    std::unordered_set<uint32_t> defaulted;
    for (const ColumnDefault& d : t.defaults) {
      const Field* f = column(d.column);
      if (f == nullptr) {
        problem("table " + t.name + ": a default for column " + std::to_string(d.column) +
                ", which does not exist");
        continue;
      }
      if (!defaulted.insert(d.column).second)
        problem("table " + t.name + ": column " + f->name + " has two defaults");
      else if (std::string why = validate(d.value, f->type, TypeResolver(s.types)); !why.empty())
        problem("table " + t.name + ": the default of column " + f->name + " is not a " +
                to_string(f->type) + ": " + why);
    }
  }
  for (const ReducerDef& r : s.reducers)
    for (const Field& p : r.params)
      if (std::string why = detail::type_problem(p.type, index); !why.empty())
        problem("reducer " + r.name + ": parameter " + p.name + " " + why);
  for (const ReducerDef& r : s.reducers) {
    if ((r.kind == ReducerKind::Query) != (r.result.size() == 1) || r.result.size() > 1)
      problem(r.kind == ReducerKind::Query
                  ? "query " + r.name + " must return one type"
                  : "reducer " + r.name + " returns a value (only queries do)");
    for (const Type& t : r.result)
      if (std::string why = detail::type_problem(t, index); !why.empty())
        problem("query " + r.name + ": its result " + why);
  }
  // A remote query's callback takes a fourth parameter: the value, optional.
  for (const ReducerDef& r : s.reducers)
    if (r.kind == ReducerKind::Callback &&
        !((r.params.size() == 3 || r.params.size() == 4) &&
          r.params[0].type.kind == TypeKind::U64 && r.params[1].type.kind == TypeKind::Bool &&
          r.params[2].type.kind == TypeKind::String &&
          (r.params.size() == 3 || r.params[3].type.kind == TypeKind::Optional)))
      problem("callback " + r.name +
              " must take (u64 call_id, bool ok, string error), or for a remote query also "
              "(optional<T> value)");
  for (const MigrationDef& m : s.migrations) {
    std::string where = "migration of table " + m.table + " from '" + m.from + "'";
    if (!valid_requirement(m.from))
      problem(where + ": '" + m.from + "' is not a version requirement");
    auto found = index.reducers.find(m.reducer);
    const ReducerDef* r = found == index.reducers.end() ? nullptr : found->second;
    if (r == nullptr)
      problem(where + ": reducer " + m.reducer + " does not exist");
    else if (r->params.size() != 1 || r->params[0].type.kind != TypeKind::Named ||
             index.type(r->params[0].type.name) == nullptr ||
             index.type(r->params[0].type.name)->kind != TypeDefKind::Struct)
      problem(where + ": reducer " + m.reducer +
              " must take one parameter, the old row (a struct)");
  }
  for (const SubscriptionDef& sub : s.subscriptions) {
    if (!detail::valid_event(sub.event, s, index))
      problem("subscription to '" + sub.event + "': no such event or table");
    if (index.reducers.count(sub.reducer) == 0)
      problem("subscription to '" + sub.event + "': reducer " + sub.reducer + " does not exist");
  }
  return problems;
}

}  // namespace interstice::abi
