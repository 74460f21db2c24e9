// Host-side checks of a module schema, before anything of the module runs:
// every problem found, each a sentence naming the table, reducer or type.
#pragma once

#include <string>
#include <vector>

#include "abi/schema.h"

namespace interstice::abi {

namespace detail {

inline bool type_resolves(const Type& type, const ModuleSchema& schema) {
  if (type.kind == TypeKind::Named) return schema.find_type(type.name) != nullptr;
  for (const Type& arg : type.args)
    if (!type_resolves(arg, schema)) return false;
  return true;
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

inline bool valid_event(const std::string& event, const ModuleSchema& schema) {
  if (event == "init" || event == "input" || event == "render" || event == "peer.connect" ||
      event == "peer.disconnect")
    return true;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = event.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(event.substr(start, dot - start));
  parts.push_back(event.substr(start));
  if (parts.size() != 3 && parts.size() != 4) return false;
  for (const std::string& p : parts)
    if (p.empty()) return false;
  const std::string& op = parts.back();
  if (op != "insert" && op != "update" && op != "delete") return false;
  if (parts.size() == 3 && parts[0] == schema.name) return schema.find_table(parts[1]) != nullptr;
  return true;  // another module's or node's table: checked when modules are linked
}

}  // namespace detail

inline std::vector<std::string> check_schema(const ModuleSchema& s) {
  std::vector<std::string> problems;
  auto problem = [&](std::string text) { problems.push_back(std::move(text)); };
  if (s.abi_version != kAbiVersion)
    problem("ABI version " + std::to_string(s.abi_version) +
            " is not supported (this node speaks " + std::to_string(kAbiVersion) + ")");
  if (s.name.empty()) problem("the module has no name");
  for (const TypeDef& t : s.types)
    for (const Field& f : t.fields)
      if (!detail::type_resolves(f.type, s))
        problem("type " + t.name + ": field " + f.name + " has unknown type " + to_string(f.type));
  for (const TableDef& t : s.tables) {
    const TypeDef* row = s.find_type(t.row_type);
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
    for (const TableDef& other : s.tables)
      if (&other != &t && other.name == t.name) problem("table " + t.name + " is declared twice");
  }
  for (const ReducerDef& r : s.reducers)
    for (const Field& p : r.params)
      if (!detail::type_resolves(p.type, s))
        problem("reducer " + r.name + ": parameter " + p.name + " has unknown type " +
                to_string(p.type));
  for (const ReducerDef& r : s.reducers)
    if (r.kind == ReducerKind::Callback &&
        !(r.params.size() == 3 && r.params[0].type.kind == TypeKind::U64 &&
          r.params[1].type.kind == TypeKind::Bool && r.params[2].type.kind == TypeKind::String))
      problem("callback " + r.name + " must take (u64 call_id, bool ok, string error)");
  for (const SubscriptionDef& sub : s.subscriptions) {
    if (!detail::valid_event(sub.event, s))
      problem("subscription to '" + sub.event + "': no such event or table");
    if (s.find_reducer(sub.reducer) == nullptr)
      problem("subscription to '" + sub.event + "': reducer " + sub.reducer + " does not exist");
  }
  return problems;
}

}  // namespace interstice::abi
