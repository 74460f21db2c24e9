// The node commands of `interstice`: `start` runs a node; `call` and `query`
// talk to a running node's local HTTP interface.
#pragma once

#include <CLI/CLI.hpp>

namespace interstice::cli {

void add_start_command(CLI::App& app, int& exit_code);
void add_call_command(CLI::App& app, int& exit_code);
void add_query_command(CLI::App& app, int& exit_code);
void add_node_command(CLI::App& app, int& exit_code);
void add_module_command(CLI::App& app, int& exit_code);
// `log inspect`, `log repair` and `replay`.
void add_log_commands(CLI::App& app, int& exit_code);

}  // namespace interstice::cli
