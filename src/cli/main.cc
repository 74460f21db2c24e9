// The `interstice` command.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/command_suggestion.h"
#include "cli/exit_codes.h"
#include "cli/node_commands.h"
#include "cli/wasm_run_command.h"
#include "engine/engine.h"

int main(int argc, char** argv) {
  using namespace interstice::cli;
  CLI::App app{"Interstice: a node for sandboxed WebAssembly modules", "interstice"};
  app.set_version_flag("--version", fmt::format("interstice 0.1.0 (wasmtime {})",
                                                interstice::engine::wasmtime_version()));
  app.require_subcommand(1);
  int exit_code = kExitOk;
  CLI::App* wasm = app.add_subcommand("wasm", "Work with single WebAssembly modules");
  wasm->require_subcommand(1);
  add_wasm_run_command(*wasm, exit_code);
  add_start_command(app, exit_code);
  add_call_command(app, exit_code);
  add_query_call_command(app, exit_code);
  add_query_command(app, exit_code);
  add_sql_command(app, exit_code);
  add_subscribe_command(app, exit_code);
  add_identity_command(app, exit_code);
  add_node_command(app, exit_code);
  add_module_command(app, exit_code);
  add_publish_command(app, exit_code);
  add_generate_commands(app, exit_code);
  add_authority_command(app, exit_code);
  add_project_commands(app, exit_code);
  add_log_commands(app, exit_code);
  add_logs_command(app, exit_code);
  add_trace_command(app, exit_code);
  add_debug_commands(app, exit_code);
  add_graph_command(app, exit_code);
  // A first word that is no command gets its name and the nearest command,
  // not CLI11's "A subcommand is required".
  if (argc >= 2 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      commands.push_back(sub->get_name());
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      fmt::print(stderr, "{}\n", unknown_command_message(argv[1], commands));
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
