#include "node/bindings_ts.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "node/binding_names.h"

namespace interstice::node {
namespace {

using abi::TypeKind;

// Names that cannot name a type or a parameter in the bindings: JavaScript's
// reserved words (in a module, which is strict code) and TypeScript's
// predefined types.
const std::unordered_set<std::string_view>& reserved_words() {
  static const std::unordered_set<std::string_view> words{
      "break",      "case",       "catch",     "class",    "const",   "continue",  "debugger",
      "default",    "delete",     "do",        "else",     "enum",    "export",    "extends",
      "false",      "finally",    "for",       "function", "if",      "import",    "in",
      "instanceof", "new",        "null",      "return",   "super",   "switch",    "this",
      "throw",      "true",       "try",       "typeof",   "var",     "void",      "while",
      "with",       "implements", "interface", "let",      "package", "private",   "protected",
      "public",     "static",     "yield",     "await",    "eval",    "arguments", "any",
      "unknown",    "never",      "number",    "bigint",   "boolean", "string",    "symbol",
      "object",     "undefined"};
  return words;
}
// Type names the bindings declare themselves, or use (globals they must see).
const std::unordered_set<std::string_view>& taken_type_names() {
  static const std::unordered_set<std::string_view> names{"MODULE",   "VERSION", "TYPES",
                                                          "Reducers", "Queries", "Tables",
                                                          "bind",     "Promise", "Uint8Array"};
  return names;
}
// Parameter names that would hide what a reducer method's body uses.
const std::unordered_set<std::string_view>& taken_parameter_names() {
  static const std::unordered_set<std::string_view> names{"MODULE", "TYPES"};
  return names;
}

// What clients may call: not the node's handlers or callbacks, nor internal reducers.
bool client_callable(const abi::ModuleSchema& s, const abi::ReducerDef& r) {
  return r.kind == abi::ReducerKind::Callable && !s.is_handler(r.name);
}

// Every name the bindings would contain, checked (see the header).
class NameCheck {
 public:
  base::Result<void> run(const abi::ModuleSchema& s) {
    name("module", s.name);
    std::set<std::string_view> types, tables, reducers;
    for (const abi::TypeDef& t : s.types) {
      declared("type", t.name, types, taken_type_names());
      std::set<std::string_view> fields;
      for (const abi::Field& f : t.fields)
        unique(t.kind == abi::TypeDefKind::Struct ? "field" : "variant", f.name, fields, t.name);
    }
    std::set<std::string_view> queries;
    for (const abi::ReducerDef& r : s.reducers) {
      bool query = r.kind == abi::ReducerKind::Query;
      if (!client_callable(s, r) && !query) continue;
      member(query ? "query" : "reducer", r.name, query ? queries : reducers);
      std::set<std::string_view> params;
      for (const abi::Field& p : r.params)
        declared("parameter", p.name, params, taken_parameter_names());
    }
    for (const abi::TableDef& t : s.tables) member("table", t.name, tables);
    if (!problem_.empty()) return base::make_error(problem_);
    return {};
  }

 private:
  bool name(std::string_view what, std::string_view n) {
    if (!problem_.empty()) return false;
    if (is_identifier(n)) return true;
    problem_ = fmt::format("the {} name '{}' is not an identifier", what, shown_name(n));
    return false;
  }
  void unique(std::string_view what, std::string_view n, std::set<std::string_view>& seen,
              std::string_view owner = "") {
    if (!name(what, n)) return;
    if (!seen.insert(n).second)
      problem_ = owner.empty() ? fmt::format("the {} name '{}' is used twice", what, n)
                               : fmt::format("{} has two {}s named '{}'", owner, what, n);
  }
  // A type or parameter: also a declaration in TypeScript.
  void declared(std::string_view what, std::string_view n, std::set<std::string_view>& seen,
                const std::unordered_set<std::string_view>& taken) {
    unique(what, n, seen);
    if (!problem_.empty()) return;
    if (reserved_words().count(n))
      problem_ = fmt::format("the {} name '{}' is a reserved word in TypeScript", what, n);
    else if (taken.count(n))
      problem_ = fmt::format("the {} name '{}' is taken by the TypeScript bindings", what, n);
  }
  // A class member: `constructor` would be the class's constructor.
  void member(std::string_view what, std::string_view n, std::set<std::string_view>& seen) {
    unique(what, n, seen);
    if (problem_.empty() && n == "constructor")
      problem_ = fmt::format("a {} cannot be named 'constructor' in TypeScript bindings", what);
  }

  std::string problem_;
};

// Every named type a type expression uses exists, and expressions nest at
// most 64 deep; named types reach each other at most 64 deep (each is
// visited once, so the work is proportional to the schema).
class TypeCheck {
 public:
  explicit TypeCheck(const abi::ModuleSchema& schema) {
    for (const abi::TypeDef& def : schema.types) defs_.emplace(def.name, &def);
  }

  base::Result<void> check_def(const std::string& name, int depth) {
    if (visited_.count(name)) return {};
    if (depth > 64) return base::make_error("type " + name + " nests too deeply");
    auto found = defs_.find(name);
    if (found == defs_.end())
      return base::make_error("type " + name + " is not defined in the schema");
    visited_.insert(name);
    for (const abi::Field& f : found->second->fields)
      if (auto r = check(f.type, depth, 1); !r) return r;
    return {};
  }

  base::Result<void> check(const abi::Type& type, int depth, int nesting) {
    if (nesting > 64) return base::make_error("a type expression nests deeper than 64");
    if (type.kind == TypeKind::Named) return check_def(type.name, depth + 1);
    bool well_formed = type.kind == TypeKind::Tuple ? true
                       : type.kind == TypeKind::Vector || type.kind == TypeKind::Optional
                           ? type.args.size() == 1
                           : type.kind < TypeKind::Named && type.args.empty();
    if (!well_formed) return base::make_error("a type expression is malformed");
    for (const abi::Type& arg : type.args)
      if (auto r = check(arg, depth, nesting + 1); !r) return r;
    return {};
  }

 private:
  std::map<std::string_view, const abi::TypeDef*> defs_;  // the first of a name, as find_type
  std::set<std::string> visited_;
};

bool is_unit(const abi::Type& t) {
  return t.kind == TypeKind::Tuple && t.args.empty();
}

// The TypeScript type of a value (types are checked first, so this ends).
std::string ts_type(const abi::Type& type) {
  switch (type.kind) {
    case TypeKind::Bool:
      return "boolean";
    case TypeKind::I64:
    case TypeKind::U64:
      return "bigint";
    case TypeKind::String:
      return "string";
    case TypeKind::Bytes:
      return "Uint8Array";
    case TypeKind::Vector: {
      const abi::Type& element = type.args.at(0);
      std::string inner = ts_type(element);
      return element.kind == TypeKind::Optional ? "(" + inner + ")[]" : inner + "[]";
    }
    case TypeKind::Optional:
      return ts_type(type.args.at(0)) + " | null";
    case TypeKind::Tuple: {
      std::string out = "[";
      for (size_t i = 0; i < type.args.size(); ++i) out += (i ? ", " : "") + ts_type(type.args[i]);
      return out + "]";
    }
    case TypeKind::Named:
      return type.name;
    default:
      return "number";  // the other integers and the floats
  }
}

// The type as data, for the SDK's conversions (TypeDesc in clients/typescript/src/types.ts).
std::string descriptor(const abi::Type& type) {
  switch (type.kind) {
    case TypeKind::Vector:
      return "{ vector: " + descriptor(type.args.at(0)) + " }";
    case TypeKind::Optional:
      return "{ optional: " + descriptor(type.args.at(0)) + " }";
    case TypeKind::Tuple: {
      std::string out = "{ tuple: [";
      for (size_t i = 0; i < type.args.size(); ++i)
        out += (i ? ", " : "") + descriptor(type.args[i]);
      return out + "] }";
    }
    case TypeKind::Named:
      return "{ named: \"" + type.name + "\" }";
    default:
      return "\"" + abi::to_string(type) + "\"";
  }
}

std::string type_declaration(const abi::TypeDef& def) {
  if (def.kind == abi::TypeDefKind::Struct) {
    std::string out = fmt::format("export interface {} {{\n", def.name);
    for (const abi::Field& f : def.fields)
      out += fmt::format("  {}: {};\n", f.name, ts_type(f.type));
    return out + "}\n\n";
  }
  // An enum: a variant without payload is its name; one with a payload is {Name: payload}.
  std::string alternatives;
  for (const abi::Field& v : def.fields)
    alternatives += (alternatives.empty() ? "" : " | ") +
                    (is_unit(v.type) ? fmt::format("\"{}\"", v.name)
                                     : fmt::format("{{ {}: {} }}", v.name, ts_type(v.type)));
  return fmt::format("export type {} = {};\n\n", def.name,
                     alternatives.empty() ? "never" : alternatives);
}

std::string type_data(const abi::TypeDef& def) {
  std::string entries;
  for (const abi::Field& f : def.fields)
    entries += fmt::format(
        "{}[\"{}\", {}]", entries.empty() ? "" : ", ", f.name,
        def.kind == abi::TypeDefKind::Enum && is_unit(f.type) ? "null" : descriptor(f.type));
  return fmt::format("  {}: {{ {}: [{}] }},\n", def.name,
                     def.kind == abi::TypeDefKind::Struct ? "struct" : "enum", entries);
}

// A reducer's method: `Promise<void>`; a query's: `Promise<its result>`.
std::string reducer_method(const abi::ReducerDef& r) {
  std::string params, args, types;
  for (const abi::Field& p : r.params) {
    // A 64-bit integer argument may be a number too (exact up to 2^53).
    bool wide = p.type.kind == TypeKind::I64 || p.type.kind == TypeKind::U64;
    params += fmt::format("{}{}: {}", params.empty() ? "" : ", ", p.name,
                          wide ? "bigint | number" : ts_type(p.type));
    args += (args.empty() ? "" : ", ") + p.name;
    types += (types.empty() ? "" : ", ") + descriptor(p.type);
  }
  if (r.kind == abi::ReducerKind::Query)
    return fmt::format(
        "  {r}({p}): Promise<{res}> {{\n"
        "    return $sdk.askQuery(this.#client, MODULE, \"{r}\", TYPES, [{t}], {d}, [{a}]) as "
        "Promise<{res}>;\n"
        "  }}\n",
        fmt::arg("r", r.name), fmt::arg("p", params), fmt::arg("t", types), fmt::arg("a", args),
        fmt::arg("res", ts_type(r.result.at(0))), fmt::arg("d", descriptor(r.result.at(0))));
  return fmt::format(
      "  {r}({p}): Promise<void> {{\n"
      "    return $sdk.callReducer(this.#client, MODULE, \"{r}\", TYPES, [{t}], [{a}]);\n"
      "  }}\n",
      fmt::arg("r", r.name), fmt::arg("p", params), fmt::arg("t", types), fmt::arg("a", args));
}

}  // namespace

base::Result<std::string> generate_ts_bindings(const abi::ModuleSchema& schema) {
  if (auto names = NameCheck().run(schema); !names) return names.take_error();
  TypeCheck types(schema);
  for (const abi::TypeDef& def : schema.types)
    if (auto r = types.check_def(def.name, 0); !r) return r.take_error();
  for (const abi::ReducerDef& r : schema.reducers) {
    for (const abi::Field& p : r.params)
      if (auto checked = types.check(p.type, 0, 1); !checked) return checked.take_error();
    for (const abi::Type& result : r.result)
      if (auto checked = types.check(result, 0, 1); !checked) return checked.take_error();
  }
  for (const abi::TableDef& t : schema.tables) {
    const abi::TypeDef* row = schema.find_type(t.row_type);
    if (!row || row->kind != abi::TypeDefKind::Struct)
      return base::make_error(fmt::format("table {}: row type {} is not a struct of the schema",
                                          t.name, shown_name(t.row_type)));
  }

  const std::string& m = schema.name;
  std::string out = fmt::format(
      "// Bindings for module {m} {v}, generated by `interstice generate --lang ts`.\n"
      "// Do not edit: generate them again when {m} changes. They need @interstice/client.\n"
      "// Types: u64 and i64 are bigint, bytes are Uint8Array, optionals are null or the\n"
      "// value, enums are a variant's name or {{Variant: payload}}.\n"
      "import * as $sdk from \"@interstice/client\";\n\n"
      "export const MODULE = \"{m}\";\n"
      "export const VERSION = \"{v}\";\n\n",
      fmt::arg("m", m), fmt::arg("v", schema.version.to_string()));
  for (const abi::TypeDef& def : schema.types) out += type_declaration(def);
  out += "/** The schema's types as data: how rows and arguments are converted. */\n";
  out += "export const TYPES: $sdk.TypeDefs = {\n";
  for (const abi::TypeDef& def : schema.types) out += type_data(def);
  out += "};\n\n";

  std::string methods, queries;
  for (const abi::ReducerDef& r : schema.reducers) {
    if (client_callable(schema, r)) methods += reducer_method(r);
    if (r.kind == abi::ReducerKind::Query) queries += reducer_method(r);
  }
  out += fmt::format(
      "/** {}'s reducers that clients may call; each resolves once its transaction is durable\n"
      " * and rejects with a CallError (its `code`) if the node refuses the call or it fails. */\n"
      "export class Reducers {{\n{}}}\n\n",
      m,
      methods.empty() ? "  constructor(_client: $sdk.Client) {}\n"
                      : "  readonly #client: $sdk.Client;\n"
                        "  constructor(client: $sdk.Client) {\n    this.#client = client;\n  }\n" +
                            methods);

  out += fmt::format(
      "/** {}'s queries: each resolves with its value (read through the tables' views as\n"
      " * this client) and rejects with an HttpError if the node refuses it or it fails. */\n"
      "export class Queries {{\n{}}}\n\n",
      m,
      queries.empty() ? "  constructor(_client: $sdk.Client) {}\n"
                      : "  readonly #client: $sdk.Client;\n"
                        "  constructor(client: $sdk.Client) {\n    this.#client = client;\n  }\n" +
                            queries);

  std::string fields, handles;
  for (const abi::TableDef& t : schema.tables) {
    const abi::TypeDef* row = schema.find_type(t.row_type);
    std::string key =
        t.primary_key < row->fields.size() ? row->fields[t.primary_key].name : std::string("?");
    fields += fmt::format(
        "  /** Rows of {}, primary key {}{}. */\n  readonly {}: $sdk.TableHandle<{}>;\n",
        t.row_type, key,
        t.visibility == abi::Visibility::Public ? "" : "; private: only the operator key reads it",
        t.name, t.row_type);
    handles += fmt::format(
        "    this.{t} = new $sdk.TableHandle<{r}>(client, MODULE, \"{t}\", TYPES, \"{r}\");\n",
        fmt::arg("t", t.name), fmt::arg("r", t.row_type));
  }
  out += fmt::format(
      "/** {}'s tables: typed subscriptions (subscribe({{where, onRows, onUpdate}})) and reads "
      "(select(where)). */\n"
      "export class Tables {{\n{}"
      "  constructor({}: $sdk.Client) {{\n{}  }}\n}}\n\n",
      m, fields, handles.empty() ? "_client" : "client", handles);
  out +=
      "/** The module's reducers, queries and tables on a connected client. */\n"
      "export function bind(client: $sdk.Client): { reducers: Reducers; queries: Queries; tables: "
      "Tables } {\n"
      "  return { reducers: new Reducers(client), queries: new Queries(client), tables: new "
      "Tables(client) };\n"
      "}\n";
  return out;
}

}  // namespace interstice::node
