// What the bindings generators (bindings.h, bindings_ts.h, bindings_rust.h)
// share about names: a schema's names become code, so only identifiers of
// at most 255 characters are taken (anything else could smuggle code in),
// and refusals show at most 64 characters of a name.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "abi/schema.h"

namespace interstice::node {

inline bool is_identifier(std::string_view name) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (name.empty() || name.size() > 255 || !alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

inline std::string shown_name(std::string_view name) {
  return name.size() > 64 ? std::string(name.substr(0, 64)) + "..." : std::string(name);
}

// Every name in the schema that becomes code, with what it names: the
// module, types and their fields, reducers and their parameters, tables.
inline std::vector<std::pair<std::string_view, std::string_view>> schema_names(
    const abi::ModuleSchema& s) {
  std::vector<std::pair<std::string_view, std::string_view>> names{{"module", s.name}};
  for (const abi::TypeDef& t : s.types) {
    names.emplace_back("type", t.name);
    for (const abi::Field& f : t.fields) names.emplace_back("field", f.name);
  }
  for (const abi::ReducerDef& r : s.reducers) {
    names.emplace_back("reducer", r.name);
    for (const abi::Field& p : r.params) names.emplace_back("parameter", p.name);
  }
  for (const abi::TableDef& t : s.tables) names.emplace_back("table", t.name);
  return names;
}

}  // namespace interstice::node
