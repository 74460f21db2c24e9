// `interstice bindings`: a typed C++ header for another module, from its
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
#include "runtime/runtime.h"

namespace interstice::cli {
namespace {

struct BindingsOptions {
  std::string source;   // a .wasm file, or a module name with --addr
  std::string address;  // a running node's local interface
  std::string output;   // empty: stdout
};

int bindings(const BindingsOptions& o) {
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
  auto header = node::generate_bindings(*schema);
  if (!header) {
    fmt::print(stderr, "error: {}\n", header.error().message);
    return kExitError;
  }
  if (o.output.empty()) {
    fmt::print("{}", *header);
    return kExitOk;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << *header;
  if (!out.flush()) {
    fmt::print(stderr, "error: cannot write {}\n", o.output);
    return kExitError;
  }
  fmt::print(stderr, "wrote bindings for {} {} to {}\n", schema->name, schema->version.to_string(),
             o.output);
  return kExitOk;
}

}  // namespace

void add_bindings_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BindingsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bindings", "Generate a typed C++ header for a module, from its .wasm or a running node");
  cmd->add_option("source", o->source, "MODULE.wasm, or a module's name with --addr")->required();
  cmd->add_option("--addr", o->address, "Take the module from this running node (HOST:PORT)");
  cmd->add_option("-o,--output", o->output, "Write the header to this file (default: stdout)");
  cmd->callback([o, &exit_code] { exit_code = bindings(*o); });
}

}  // namespace interstice::cli
