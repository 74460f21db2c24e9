#include "node/bindings.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "abi/validate.h"
#include "node/binding_names.h"

namespace interstice::node {
namespace {

std::string cpp_type(const abi::Type& type) {
  using abi::TypeKind;
  switch (type.kind) {
    case TypeKind::Bool:
      return "bool";
    case TypeKind::I8:
      return "int8_t";
    case TypeKind::I16:
      return "int16_t";
    case TypeKind::I32:
      return "int32_t";
    case TypeKind::I64:
      return "int64_t";
    case TypeKind::U8:
      return "uint8_t";
    case TypeKind::U16:
      return "uint16_t";
    case TypeKind::U32:
      return "uint32_t";
    case TypeKind::U64:
      return "uint64_t";
    case TypeKind::F32:
      return "float";
    case TypeKind::F64:
      return "double";
    case TypeKind::String:
      return "std::string";
    case TypeKind::Bytes:
      return "interstice::Bytes";
    case TypeKind::Vector:
      return "std::vector<" + cpp_type(type.args.at(0)) + ">";
    case TypeKind::Optional:
      return "std::optional<" + cpp_type(type.args.at(0)) + ">";
    case TypeKind::Tuple: {
      std::string out = "std::tuple<";
      for (size_t i = 0; i < type.args.size(); ++i) out += (i ? ", " : "") + cpp_type(type.args[i]);
      return out + ">";
    }
    case TypeKind::Named:
      return type.name;
  }
  return "void";
}

// Names go into the header as C++ code: anything but an identifier (of at
// most 255 characters) could smuggle code into it, so it is refused.

// Every name the header would contain, or the first that is not an identifier.
base::Result<void> check_names(const abi::ModuleSchema& s) {
  for (const auto& [what, name] : schema_names(s))
    if (!is_identifier(name))
      return base::make_error(
          fmt::format("the {} name '{}' is not a C++ identifier", what, shown_name(name)));
  return {};
}

// Types are written dependencies first, so each compiles where it stands.
class TypeWriter {
 public:
  explicit TypeWriter(const abi::ModuleSchema& schema) : schema_(schema) {
    for (const abi::TypeDef& def : schema.types) defs_.emplace(def.name, &def);
  }

  base::Result<std::string> write_all() {
    for (const abi::TypeDef& def : schema_.types)
      if (auto r = write(def.name, 0); !r) return r.take_error();
    return out_;
  }

 private:
  base::Result<void> write_uses(const abi::Type& type, int depth) {
    if (type.kind == abi::TypeKind::Named) return write(type.name, depth + 1);
    for (const abi::Type& arg : type.args)
      if (auto r = write_uses(arg, depth); !r) return r;
    return {};
  }

  base::Result<void> write(const std::string& name, int depth) {
    if (written_.count(name)) return {};
    if (depth > 64) return base::make_error("type " + name + " nests too deeply");
    auto found = defs_.find(name);
    if (found == defs_.end())
      return base::make_error("type " + name + " is not defined in the schema");
    const abi::TypeDef* def = found->second;
    written_.insert(name);
    for (const abi::Field& f : def->fields)
      if (auto r = write_uses(f.type, depth); !r) return r;
    if (def->kind == abi::TypeDefKind::Struct) {
      out_ += fmt::format("struct {} {{\n", name);
      std::string fields;
      for (const abi::Field& f : def->fields) {
        out_ += fmt::format("  {} {}{{}};\n", cpp_type(f.type), f.name);
        fields += ", " + f.name;
      }
      out_ += fmt::format("  INTERSTICE_TYPE({}{})\n}};\n\n", name, fields);
      return {};
    }
    bool plain = true, alternatives = true;
    for (const abi::Field& f : def->fields) {
      plain = plain && f.type == abi::unit();
      alternatives = alternatives && f.type.kind == abi::TypeKind::Named && f.type.name == f.name;
    }
    std::string names;
    for (const abi::Field& f : def->fields) names += (names.empty() ? "" : ", ") + f.name;
    if (plain) {
      out_ += fmt::format("enum class {} : uint32_t {{ {} }};\nINTERSTICE_ENUM({}, {})\n\n", name,
                          names, name, names);
      return {};
    }
    if (alternatives) {
      out_ += fmt::format("INTERSTICE_VARIANT({}, {})\n\n", name, names);
      return {};
    }
    return base::make_error(fmt::format(
        "enum {} mixes payloads that C++ bindings cannot express (each variant must carry "
        "nothing, or be a named type of its own name)",
        name));
  }

  const abi::ModuleSchema& schema_;
  std::map<std::string_view, const abi::TypeDef*> defs_;  // the first of a name, as find_type
  std::set<std::string> written_;
  std::string out_;
};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

base::Result<std::string> generate_bindings(const abi::ModuleSchema& schema) {
  if (auto names = check_names(schema); !names) return names.take_error();
  auto types = TypeWriter(schema).write_all();
  if (!types) return types.take_error();
  const std::string& m = schema.name;
  std::string version = schema.version.to_string();
  std::string out = fmt::format(
      "// Bindings for module {m} {v}, generated by `interstice bindings`. Do not edit:\n"
      "// generate them again when {m} changes.\n"
      "#pragma once\n\n"
      "#include <interstice/sdk.h>\n\n"
      "#include <cstdint>\n#include <optional>\n#include <string>\n#include <string_view>\n"
      "#include <tuple>\n#include <vector>\n\n"
      "namespace {m}_bindings {{\n\n"
      "inline constexpr std::string_view kModule = \"{m}\";\n"
      "inline constexpr std::string_view kVersion = \"{v}\";  // for "
      "INTERSTICE_DEPENDENCY(\"{m}\", "
      "\"^{v}\")\n\n",
      fmt::arg("m", m), fmt::arg("v", version));
  out += *types;
  std::string local, remote;
  for (const abi::ReducerDef& r : schema.reducers) {
    // Handlers and callbacks are the node's to call (abi::ReducerKind), and
    // an internal reducer is not callable from another node.
    if (schema.is_handler(r.name) || r.kind == abi::ReducerKind::Callback) continue;
    std::string params, args;
    for (const abi::Field& p : r.params) {
      params += fmt::format("{}const {}& {}", params.empty() ? "" : ", ", cpp_type(p.type), p.name);
      args += ", " + p.name;
    }
    if (r.kind == abi::ReducerKind::Query) {  // asked at once, for its value
      local += fmt::format(
          "  interstice::QueryResult<{t}> {r}({p}) const {{\n"
          "    return ctx.query<{t}>(kModule, \"{r}\"{a});\n  }}\n",
          fmt::arg("t", cpp_type(r.result.at(0))), fmt::arg("r", r.name), fmt::arg("p", params),
          fmt::arg("a", args));
      remote += fmt::format(
          "  // Answers callback(ctx, call_id, ok, error, std::optional<{t}> value).\n"
          "  uint64_t {r}(uint32_t timeout_ms{c}{p}) const {{\n"
          "    return ctx.query_node(node, kModule, \"{r}\", callback, timeout_ms{a});\n  }}\n",
          fmt::arg("t", cpp_type(r.result.at(0))), fmt::arg("r", r.name),
          fmt::arg("c", params.empty() ? "" : ", "), fmt::arg("p", params), fmt::arg("a", args));
      continue;
    }
    local += fmt::format(
        "  interstice::abi::Status {r}({p}) const {{\n"
        "    return ctx.call(kModule, \"{r}\"{a});\n  }}\n",
        fmt::arg("r", r.name), fmt::arg("p", params), fmt::arg("a", args));
    if (r.kind == abi::ReducerKind::Internal) continue;
    remote += fmt::format(
        "  uint64_t {r}({p}) const {{\n"
        "    return ctx.call_node(node, kModule, \"{r}\", callback{a});\n  }}\n",
        fmt::arg("r", r.name), fmt::arg("p", params), fmt::arg("a", args));
  }
  out += fmt::format(
      "// {m}'s reducers on this node, queued with ctx.call after the calling\n"
      "// transaction commits: Local{{ctx}}.reducer(args…); its queries, asked at\n"
      "// once (it must be a dependency): Local{{ctx}}.query(args…).value.\n"
      "struct Local {{\n  const interstice::ReducerContext& ctx;\n{l}}};\n\n"
      "// {m}'s reducers on a remote node declared with INTERSTICE_NODE: Remote{{ctx,\n"
      "// \"MyNode\", \"callback\"}}.reducer(args…) returns the call id (0 if the alias or\n"
      "// callback is unknown); the outcome runs callback(ctx, call_id, ok, error).\n"
      "// Its queries: Remote{{…}}.query(timeout_ms, args…) returns the call id; the\n"
      "// answer (or \"timed out\") runs callback(ctx, call_id, ok, error, value).\n"
      "struct Remote {{\n  const interstice::ReducerContext& ctx;\n  std::string_view node;\n"
      "  std::string_view callback;\n{r}}};\n\n",
      fmt::arg("m", m), fmt::arg("l", local), fmt::arg("r", remote));
  if (!schema.tables.empty()) {
    out += fmt::format(
        "// Events of {m}'s tables, for INTERSTICE_SUBSCRIBE: the local event, or\n"
        "// the event on a remote node, e.g. {M}_{T}_INSERT_ON(\"MyNode\").\n",
        fmt::arg("m", m), fmt::arg("M", upper(m)), fmt::arg("T", upper(schema.tables[0].name)));
    for (const abi::TableDef& t : schema.tables)
      for (const char* op : {"insert", "update", "delete"})
        out += fmt::format(
            "#define {M}_{T}_{O} \"{m}.{t}.{o}\"\n#define {M}_{T}_{O}_ON(node) node "
            "\".{m}.{t}.{o}\"\n",
            fmt::arg("M", upper(m)), fmt::arg("T", upper(t.name)), fmt::arg("O", upper(op)),
            fmt::arg("m", m), fmt::arg("t", t.name), fmt::arg("o", op));
    out += "\n";
  }
  out += fmt::format("}}  // namespace {}_bindings\n", m);
  return out;
}

}  // namespace interstice::node
