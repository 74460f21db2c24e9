// `interstice generate --lang ts|cpp` and `interstice bindings` (the C++
// header, as `generate --lang cpp`): typed bindings for a module, from its
// .wasm file or from a running node (docs/cli.md).
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"
#include "node/bindings.h"
#include "node/bindings_rust.h"
#include "node/bindings_ts.h"
#include "runtime/runtime.h"

namespace interstice::cli {
namespace {

struct GenerateOptions {
  std::string language = "cpp";  // "cpp", "ts" or "rust"
  std::string source;            // a .wasm file, or a module name with --addr
  std::string address;           // a running node's local interface
  std::string output;            // empty: stdout
};

int generate(const GenerateOptions& o) {
  std::string bytes;
  if (o.address.empty()) {
    std::ifstream in(o.source, std::ios::binary);
    if (!in) {
      fmt::print(stderr, "error: cannot read {}\n", o.source);
      return kExitError;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (!send_to_node(o.address, NodeRequest{"GET", "/modules/" + o.source + "/wasm"},
                           &bytes)) {
    return kExitError;
  }
  auto runtime = runtime::Runtime::create(runtime::RuntimeOptions{});
  if (!runtime) {
    fmt::print(stderr, "error: {}\n", runtime.error().message);
    return kExitError;
  }
  auto wasm = std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto schema = (*runtime)->read_schema(wasm, o.source);
  if (!schema) {
    fmt::print(stderr, "error: {}\n", schema.error().message);
    return kExitError;
  }
  auto text = o.language == "ts"     ? node::generate_ts_bindings(*schema)
              : o.language == "rust" ? node::generate_rust_bindings(*schema)
                                     : node::generate_bindings(*schema);
  if (!text) {
    fmt::print(stderr, "error: {}\n", text.error().message);
    return kExitError;
  }
  if (o.output.empty()) {
    fmt::print("{}", *text);
    return kExitOk;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << *text;
  if (!out.flush()) {
    fmt::print(stderr, "error: cannot write {}\n", o.output);
    return kExitError;
  }
  fmt::print(stderr, "wrote {} bindings for {} {} to {}\n",
             o.language == "ts"     ? "TypeScript"
             : o.language == "rust" ? "Rust"
                                    : "C++",
             schema->name, schema->version.to_string(), o.output);
  return kExitOk;
}

void add_source_options(CLI::App& cmd, GenerateOptions& o) {
  cmd.add_option("source", o.source, "MODULE.wasm, or a module's name with --addr")->required();
  cmd.add_option("--addr", o.address, "Take the module from this running node (HOST:PORT)");
  cmd.add_option("-o,--output", o.output, "Write the bindings to this file (default: stdout)");
}

}  // namespace

void add_generate_commands(CLI::App& app, int& exit_code) {
  auto g = std::make_shared<GenerateOptions>();
  CLI::App* generate_cmd = app.add_subcommand(
      "generate",
      "Generate typed bindings for a module (TypeScript, C++ or Rust), from its .wasm or a "
      "running node");
  generate_cmd->add_option("--lang", g->language, "ts (for @interstice/client), cpp or rust")
      ->required()
      ->check(CLI::IsMember({"ts", "cpp", "rust"}));
  add_source_options(*generate_cmd, *g);
  generate_cmd->callback([g, &exit_code] { exit_code = generate(*g); });

  auto b = std::make_shared<GenerateOptions>();
  CLI::App* bindings_cmd = app.add_subcommand(
      "bindings",
      "Generate typed bindings for a module: a C++ header, or with --lang rust a Rust module");
  bindings_cmd->add_option("--lang", b->language, "cpp (the default) or rust")
      ->check(CLI::IsMember({"cpp", "rust"}));
  add_source_options(*bindings_cmd, *b);
  bindings_cmd->callback([b, &exit_code] { exit_code = generate(*b); });
}

}  // namespace interstice::cli
