// The module schema: what a module declares about itself. The module exports
// it in the canonical encoding (it is itself an encodable struct), and the
// host checks it with check_schema() before loading the module.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi/serialize.h"
#include "abi/type.h"

namespace interstice::abi {

// Bumped on any incompatible change to the schema, the encoding or the host calls.
inline constexpr uint32_t kAbiVersion = 3;

enum class Visibility : uint32_t { Public, Private };
INTERSTICE_ENUM(Visibility, Public, Private)

// How a table's rows survive a restart (honoured by the storage layer).
enum class Persistence : uint32_t { Logged, Stateful, Ephemeral };
INTERSTICE_ENUM(Persistence, Logged, Stateful, Ephemeral)

enum class Authority : uint32_t { Gpu, Input, Audio, File };
INTERSTICE_ENUM(Authority, Gpu, Input, Audio, File)

struct SemVer {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t patch = 0;
  INTERSTICE_TYPE(SemVer, major, minor, patch)

  auto operator<=>(const SemVer&) const = default;
  std::string to_string() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  }
  // "1.2.3" only (no pre-release or build metadata, for now).
  static std::optional<SemVer> parse(std::string_view text) {
    SemVer v;
    uint32_t* parts[] = {&v.major, &v.minor, &v.patch};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 3; ++i) {
      if (i > 0 && (p == end || *p++ != '.')) return std::nullopt;
      auto [next, ec] = std::from_chars(p, end, *parts[i]);
      if (ec != std::errc() || next == p) return std::nullopt;
      p = next;
    }
    if (p != end) return std::nullopt;
    return v;
  }
};

// Whether `version` meets `requirement`, in Cargo's spelling: "1.2.3" or
// "^1.2.3" (compatible: same major, or same minor while major is 0), "~1.2.3"
// (same major.minor), "=1.2.3", ">=1.2.3", "<1.2.3", or "*". Malformed requirements
// match nothing.
inline std::string_view requirement_operator(std::string_view requirement) {
  for (std::string_view prefix : {">=", "^", "~", "=", "<"})
    if (requirement.starts_with(prefix)) return prefix;
  return {};
}
inline bool valid_requirement(std::string_view requirement) {
  return requirement == "*" ||
         SemVer::parse(requirement.substr(requirement_operator(requirement).size())).has_value();
}
inline bool satisfies(const SemVer& version, std::string_view requirement) {
  if (requirement == "*") return true;
  std::string_view op = requirement_operator(requirement);
  auto base = SemVer::parse(requirement.substr(op.size()));
  if (!base) return false;
  if (op == "=") return version == *base;
  if (op == "<") return version < *base;
  if (version < *base) return false;
  if (op == ">=") return true;
  if (op == "~") return version.major == base->major && version.minor == base->minor;
  if (base->major > 0) return version.major == base->major;
  return version.major == 0 && version.minor == base->minor;
}

struct IndexDef {
  std::string name;
  uint32_t column = 0;  // index into the row type's fields
  bool unique = false;
  INTERSTICE_TYPE(IndexDef, name, column, unique)
};

// The value a column takes in the rows a table already holds when a new
// version of the module adds that column (docs/sdk.md, "Changing a published
// module"): the canonical encoding of a value of the column's type.
struct ColumnDefault {
  uint32_t column = 0;  // index into the row type's fields
  std::vector<uint8_t> value;
  INTERSTICE_TYPE(ColumnDefault, column, value)
};

// A scheduled table: its rows are schedules. `column` holds each row's
// ScheduleAt (abi/schedule.h); when it comes due the node calls `reducer`
// (of this module, taking the row) in a transaction of its own.
struct ScheduleDef {
  uint32_t column = 0;
  std::string reducer;
  INTERSTICE_TYPE(ScheduleDef, column, reducer)
};

struct TableDef {
  std::string name;
  std::string row_type;            // a struct TypeDef of this schema
  uint32_t primary_key = 0;        // column index
  std::vector<uint32_t> auto_inc;  // integer columns the host assigns on insert when 0
  std::vector<IndexDef> indexes;   // secondary indexes
  Visibility visibility = Visibility::Private;
  Persistence persistence = Persistence::Logged;
  std::vector<ColumnDefault> defaults;  // at most one per column
  std::vector<ScheduleDef> schedule;    // at most one: a scheduled table
  // A view (docs/sdk.md, "Views"): empty, or a SQL condition over the row's
  // columns in which `:reader` stands for the reader's identity. Peers and
  // clients read only the rows that satisfy it; the operator and the node's
  // own modules read every row.
  std::string view;
  INTERSTICE_TYPE(TableDef, name, row_type, primary_key, auto_inc, indexes, visibility, persistence,
                  defaults, schedule, view)

  const ColumnDefault* default_of(uint32_t column) const {
    for (const ColumnDefault& d : defaults)
      if (d.column == column) return &d;
    return nullptr;
  }
};

// A migration the module declares: when it replaces a version that matches
// `from` (a requirement in satisfies()' spelling), `reducer` runs once for
// each row of the old version's table `table`, in primary-key order, all in
// one transaction, and writes what it wants into the new version's tables.
// The reducer takes one parameter: the old row, as a struct of this module
// whose shape matches the old row type.
struct MigrationDef {
  std::string table;
  std::string from;
  std::string reducer;
  INTERSTICE_TYPE(MigrationDef, table, from, reducer)
};

// Who may call a reducer (besides the node itself, which runs everything):
// - Callable: HTTP clients, peers (if the module is public) and modules;
// - Internal: only the modules of this node (ctx.call), never from outside;
// - Callback: the outcome of a remote call (call_node); only the node calls it.
// - Query: a read-only question that returns a value (ReducerDef::result):
//   never a transaction, never logged; it cannot write or call. Modules on
//   the same executor ask it with query_call, clients with /query.
// A reducer that a subscription names (`init` included) is called only by the
// node, whatever its kind: its arguments are events, which nobody may forge.
enum class ReducerKind : uint32_t { Callable, Internal, Callback, Query };
INTERSTICE_ENUM(ReducerKind, Callable, Internal, Callback, Query)

struct ReducerDef {
  std::string name;
  std::vector<Field> params;
  ReducerKind kind = ReducerKind::Callable;
  std::vector<Type> result;  // Query: the one type it returns; otherwise empty
  INTERSTICE_TYPE(ReducerDef, name, params, kind, result)

  // The tuple of the parameter types: how a call's arguments are encoded.
  Type params_type() const {
    Type t = unit();
    for (const Field& p : params) t.args.push_back(p.type);
    return t;
  }
};

// `event` is "init", "MODULE.TABLE.insert|update|delete", "NODE.MODULE.TABLE.insert|...",
// "input" or "render"; `reducer` is a reducer of this module.
struct SubscriptionDef {
  std::string event;
  std::string reducer;
  INTERSTICE_TYPE(SubscriptionDef, event, reducer)
};

// Another module this one needs, by name and semver requirement ("^1.2.0").
struct DependencyDef {
  std::string module;
  std::string requirement;
  std::string node;  // alias of a remote node, or empty for this node
  INTERSTICE_TYPE(DependencyDef, module, requirement, node)
};

struct NodeDef {
  std::string alias;
  std::string address;  // "host:port"
  INTERSTICE_TYPE(NodeDef, alias, address)
};

struct ModuleSchema {
  uint32_t abi_version = kAbiVersion;
  std::string name;
  SemVer version;
  Visibility visibility = Visibility::Private;
  std::vector<TypeDef> types;
  std::vector<TableDef> tables;
  std::vector<ReducerDef> reducers;
  std::vector<SubscriptionDef> subscriptions;
  std::vector<Authority> authorities;
  std::vector<DependencyDef> dependencies;
  std::vector<NodeDef> nodes;
  std::vector<MigrationDef> migrations;
  INTERSTICE_TYPE(ModuleSchema, abi_version, name, version, visibility, types, tables, reducers,
                  subscriptions, authorities, dependencies, nodes, migrations)

  const TypeDef* find_type(std::string_view type_name) const {
    for (const TypeDef& t : types)
      if (t.name == type_name) return &t;
    return nullptr;
  }
  const TableDef* find_table(std::string_view table_name) const {
    for (const TableDef& t : tables)
      if (t.name == table_name) return &t;
    return nullptr;
  }
  const ReducerDef* find_reducer(std::string_view reducer_name) const {
    for (const ReducerDef& r : reducers)
      if (r.name == reducer_name) return &r;
    return nullptr;
  }
  // Whether a subscription, a migration or a schedule names `reducer_name`: only the
  // node calls it (see ReducerKind).
  bool is_handler(std::string_view reducer_name) const {
    for (const SubscriptionDef& s : subscriptions)
      if (s.reducer == reducer_name) return true;
    for (const MigrationDef& m : migrations)
      if (m.reducer == reducer_name) return true;
    for (const TableDef& t : tables)
      for (const ScheduleDef& s : t.schedule)
        if (s.reducer == reducer_name) return true;
    return false;
  }
};

}  // namespace interstice::abi
