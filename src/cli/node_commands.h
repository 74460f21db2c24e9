// The node commands of `interstice`: `start` runs a node; `call` and `query`
// talk to a running node's local HTTP interface.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace interstice::cli {

// $XDG_DATA_HOME/interstice, else ~/.local/share/interstice.
std::string default_data_dir();

// --operator-key FILE, for the operator's commands. The default is the
// operator key of the default data directory, so that an operator on the
// node's machine needs no option.
void add_operator_key_option(CLI::App& cmd, std::string& key_file);
// Reads the key; prints why not (print_error, as JSON with `json`) and
// returns false if it cannot.
bool read_operator_key(const std::string& file, std::string* key, bool json = false);
// `interstice logs`: the node's recent log lines, and those that follow.
void add_logs_command(CLI::App& app, int& exit_code);
// `interstice trace`: a running node's spans for a while (GET /trace).
void add_trace_command(CLI::App& app, int& exit_code);
// `interstice diff` and `interstice tx`: the replay debugger.
void add_debug_commands(CLI::App& app, int& exit_code);
// `interstice graph`: what triggered what in a node's log (node/trigger_graph.h).
void add_graph_command(CLI::App& app, int& exit_code);

void add_start_command(CLI::App& app, int& exit_code);
// `publish` and `module remove`, which need the operator key.
void add_publish_command(CLI::App& app, int& exit_code);
void add_module_remove_command(CLI::App& module, int& exit_code);
// `generate --lang ts|cpp` and `bindings` (C++): typed bindings for a module.
void add_generate_commands(CLI::App& app, int& exit_code);
// `authority list|grant|revoke`; grant and revoke need the operator key.
void add_authority_command(CLI::App& app, int& exit_code);
// `init NAME` and `build [DIR]`: module projects.
void add_project_commands(CLI::App& app, int& exit_code);
void add_call_command(CLI::App& app, int& exit_code);
void add_query_call_command(CLI::App& app, int& exit_code);
void add_query_command(CLI::App& app, int& exit_code);
// `interstice sql ADDR QUERY`: POST /v1/sql, rows printed as `query` does.
void add_sql_command(CLI::App& app, int& exit_code);
// `interstice subscribe ADDR QUERY`: the client protocol's subscription, as JSON lines.
void add_subscribe_command(CLI::App& app, int& exit_code);
// `interstice identity ADDR --key-file FILE`: a client token for the key in FILE.
void add_identity_command(CLI::App& app, int& exit_code);
void add_node_command(CLI::App& app, int& exit_code);
void add_module_command(CLI::App& app, int& exit_code);
// `log inspect`, `log repair` and `replay`.
void add_log_commands(CLI::App& app, int& exit_code);

}  // namespace interstice::cli
