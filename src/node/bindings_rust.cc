#include "node/bindings_rust.h"

#include <fmt/format.h>

#include <set>
#include <string_view>
#include <unordered_set>

#include "node/binding_names.h"

namespace interstice::node {
namespace {

using abi::TypeKind;

const std::unordered_set<std::string_view>& keywords() {
  static const std::unordered_set<std::string_view> words{
      "as",       "break", "const",    "continue", "else",    "enum",   "extern", "false",
      "fn",       "for",   "if",       "impl",     "in",      "let",    "loop",   "match",
      "mod",      "move",  "mut",      "pub",      "ref",     "return", "static", "struct",
      "trait",    "true",  "type",     "unsafe",   "use",     "where",  "while",  "async",
      "await",    "dyn",   "abstract", "become",   "box",     "do",     "final",  "macro",
      "override", "priv",  "typeof",   "unsized",  "virtual", "yield",  "try",    "gen"};
  return words;
}

// What cannot be an identifier even raw.
bool unusable(std::string_view name) {
  return name == "self" || name == "Self" || name == "super" || name == "crate" || name == "_";
}

// The name as Rust code: a raw identifier for a keyword.
std::string ident(std::string_view name) {
  return keywords().count(name) ? "r#" + std::string(name) : std::string(name);
}

base::Result<void> check_names(const abi::ModuleSchema& s) {
  for (const auto& [what, name] : schema_names(s))
    if (!is_identifier(name) || unusable(name))
      return base::make_error(
          fmt::format("the {} name '{}' is not a Rust identifier", what, shown_name(name)));
  return {};
}

// The Rust type of `type`; an error if it names an undefined type or nests
// deeper than 64.
base::Result<std::string> rust_type(const abi::Type& type, const std::set<std::string>& defined,
                                    int depth) {
  if (depth > 64) return base::make_error("a type expression nests deeper than 64");
  auto arg = [&](size_t i) -> base::Result<std::string> {
    if (type.args.size() <= i) return base::make_error("an ill-formed type");
    return rust_type(type.args[i], defined, depth + 1);
  };
  switch (type.kind) {
    case TypeKind::Bool:
      return std::string("bool");
    case TypeKind::I8:
      return std::string("i8");
    case TypeKind::I16:
      return std::string("i16");
    case TypeKind::I32:
      return std::string("i32");
    case TypeKind::I64:
      return std::string("i64");
    case TypeKind::U8:
      return std::string("u8");
    case TypeKind::U16:
      return std::string("u16");
    case TypeKind::U32:
      return std::string("u32");
    case TypeKind::U64:
      return std::string("u64");
    case TypeKind::F32:
      return std::string("f32");
    case TypeKind::F64:
      return std::string("f64");
    case TypeKind::String:
      return std::string("::std::string::String");
    case TypeKind::Bytes:
      return std::string("::interstice_sdk::Bytes");
    case TypeKind::Vector: {
      auto inner = arg(0);
      if (!inner) return inner.take_error();
      return "::std::vec::Vec<" + *inner + ">";
    }
    case TypeKind::Optional: {
      auto inner = arg(0);
      if (!inner) return inner.take_error();
      return "::core::option::Option<" + *inner + ">";
    }
    case TypeKind::Tuple: {
      if (type.args.size() > 8) return base::make_error("a tuple of more than 8 elements");
      std::string out = "(";
      for (size_t i = 0; i < type.args.size(); ++i) {
        auto inner = arg(i);
        if (!inner) return inner.take_error();
        out += *inner + ", ";
      }
      if (type.args.size() > 1) out.resize(out.size() - 2);  // (A,) keeps its comma
      return out + ")";
    }
    case TypeKind::Named:
      if (!defined.count(type.name))
        return base::make_error("type " + shown_name(type.name) + " is not defined in the schema");
      return type.name;
  }
  return base::make_error("an unknown type kind");
}

base::Result<std::string> type_definition(const abi::TypeDef& def,
                                          const std::set<std::string>& defined) {
  std::string out = "#[::interstice_sdk::interstice_type]\n";
  if (def.kind == abi::TypeDefKind::Struct) {
    out += fmt::format("#[derive(Clone, Debug, PartialEq)]\npub struct {} {{\n", def.name);
    for (const abi::Field& f : def.fields) {
      auto t = rust_type(f.type, defined, 0);
      if (!t) return t.take_error();
      out += fmt::format("    pub {}: {},\n", ident(f.name), *t);
    }
    return out + "}\n\n";
  }
  out += fmt::format("#[derive(Clone, Debug, PartialEq)]\npub enum {} {{\n", def.name);
  for (const abi::Field& f : def.fields) {
    if (f.type == abi::unit()) {
      out += fmt::format("    {},\n", ident(f.name));
      continue;
    }
    auto t = rust_type(f.type, defined, 0);
    if (!t) return t.take_error();
    out += fmt::format("    {}({}),\n", ident(f.name), *t);
  }
  return out + "}\n\n";
}

}  // namespace

base::Result<std::string> generate_rust_bindings(const abi::ModuleSchema& schema) {
  if (auto names = check_names(schema); !names) return names.take_error();
  std::set<std::string> defined;
  for (const abi::TypeDef& def : schema.types)
    if (!defined.insert(def.name).second)
      return base::make_error("type " + shown_name(def.name) + " is defined twice");
  const std::string& m = schema.name;
  std::string out = fmt::format(
      "// Bindings for module {m} {v}, generated by `interstice generate --lang rust`. Do not\n"
      "// edit: generate them again when {m} changes. A Rust module (`mod {m}_bindings;`) for\n"
      "// modules built with interstice-sdk (docs/sdk-rust.md).\n\n"
      "pub const MODULE: &str = \"{m}\";\n"
      "/// For interstice_module!(dependencies: [(\"{m}\", \"^{v}\")]).\n"
      "pub const VERSION: &str = \"{v}\";\n\n",
      fmt::arg("m", m), fmt::arg("v", schema.version.to_string()));
  for (const abi::TypeDef& def : schema.types) {
    auto text = type_definition(def, defined);
    if (!text) return text.take_error();
    out += *text;
  }
  std::string local, remote;
  for (const abi::ReducerDef& r : schema.reducers) {
    // Handlers and callbacks are the node's to call, and an internal
    // reducer is not callable from another node.
    if (schema.is_handler(r.name) || r.kind == abi::ReducerKind::Callback) continue;
    std::string params, args;
    for (const abi::Field& p : r.params) {
      auto t = rust_type(p.type, defined, 0);
      if (!t) return t.take_error();
      params += fmt::format(", {}: {}", ident(p.name), *t);
      args += (args.empty() ? "" : ", ") + ident(p.name);
    }
    std::string tuple = "(" + args + (r.params.size() == 1 ? ",)" : ")");
    if (r.kind == abi::ReducerKind::Query) {
      if (r.result.size() != 1) return base::make_error("query " + r.name + " has no result type");
      auto result = rust_type(r.result[0], defined, 0);
      if (!result) return result.take_error();
      local += fmt::format(
          "    pub fn {r}(&self{p}) -> ::core::result::Result<{t}, ::interstice_sdk::Status> {{\n"
          "        self.ctx.query::<{t}, _>(MODULE, \"{n}\", {a})\n    }}\n",
          fmt::arg("r", ident(r.name)), fmt::arg("n", r.name), fmt::arg("p", params),
          fmt::arg("t", *result), fmt::arg("a", tuple));
      remote += fmt::format(
          "    /// Answers callback(ctx, call_id, ok, error, value: Option<{t}>).\n"
          "    pub fn {r}(&self, timeout_ms: u32{p}) -> u64 {{\n"
          "        self.ctx.query_node(self.node, MODULE, \"{n}\", self.callback, timeout_ms, "
          "{a})\n"
          "    }}\n",
          fmt::arg("r", ident(r.name)), fmt::arg("n", r.name), fmt::arg("p", params),
          fmt::arg("t", *result), fmt::arg("a", tuple));
      continue;
    }
    local += fmt::format(
        "    pub fn {r}(&self{p}) -> ::interstice_sdk::Status {{\n"
        "        self.ctx.call(MODULE, \"{n}\", {a})\n    }}\n",
        fmt::arg("r", ident(r.name)), fmt::arg("n", r.name), fmt::arg("p", params),
        fmt::arg("a", tuple));
    if (r.kind == abi::ReducerKind::Internal) continue;
    remote += fmt::format(
        "    pub fn {r}(&self{p}) -> u64 {{\n"
        "        self.ctx.call_node(self.node, MODULE, \"{n}\", self.callback, {a})\n    }}\n",
        fmt::arg("r", ident(r.name)), fmt::arg("n", r.name), fmt::arg("p", params),
        fmt::arg("a", tuple));
  }
  out += fmt::format(
      "/// {m}'s reducers on this node, queued after the calling transaction commits:\n"
      "/// `Local {{ ctx: &ctx }}.reducer(args…)`; its queries, asked at once (it must be a\n"
      "/// dependency): `Local {{ ctx: &ctx }}.query(args…)`.\n"
      "pub struct Local<'a> {{\n    pub ctx: &'a ::interstice_sdk::ReducerContext,\n}}\n\n"
      "impl Local<'_> {{\n{l}}}\n\n"
      "/// {m}'s reducers on a remote node declared in interstice_module!(nodes: …):\n"
      "/// `Remote {{ ctx: &ctx, node: \"MyNode\", callback: \"done\" }}.reducer(args…)` returns\n"
      "/// the call id (0 if the node or callback is unknown); the outcome runs the\n"
      "/// #[callback]. Queries take a timeout first: `.query(timeout_ms, args…)`.\n"
      "pub struct Remote<'a> {{\n    pub ctx: &'a ::interstice_sdk::ReducerContext,\n"
      "    pub node: &'a str,\n    pub callback: &'a str,\n}}\n\n"
      "impl Remote<'_> {{\n{r}}}\n",
      fmt::arg("m", m), fmt::arg("l", local), fmt::arg("r", remote));
  if (!schema.tables.empty()) {
    out += fmt::format(
        "\n/// Events of {m}'s tables, as #[reducer(on = \"…\")] spells them (an attribute\n"
        "/// takes the text itself; these say what it is). On a remote node, put its alias\n"
        "/// in front: \"MyNode.{m}.table.insert\".\n",
        fmt::arg("m", m));
    for (const abi::TableDef& t : schema.tables)
      for (const char* op : {"insert", "update", "delete"}) {
        std::string upper = t.name + "_" + op;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out += fmt::format("pub const {}: &str = \"{}.{}.{}\";\n", upper, m, t.name, op);
      }
  }
  return out;
}

}  // namespace interstice::node
