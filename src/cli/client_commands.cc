#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"

namespace interstice::cli {
namespace {

using json = nlohmann::ordered_json;

bool send(const std::string& address, const std::string& method, const std::string& path,
          const std::string& body, std::string* response) {
  return send_to_node(address, NodeRequest{method, path, body}, response);
}

// GETs `path` from the node and hands its JSON reply to `print`; returns
// the exit code (send_to_node has reported a failure already).
template <typename Print>
int show(const std::string& address, const std::string& path, Print print) {
  std::string response;
  if (!send(address, "GET", path, "", &response)) return kExitError;
  print(json::parse(response, nullptr, false));
  return kExitOk;
}

struct CallOptions {
  std::string address, module, reducer, args = "[]";
  std::string token;  // a client token (interstice identity): the call runs as that client
};

// POSTs o.args (a JSON array) to `route`/MODULE/NAME as the client of
// o.token, and prints the answer with `print`; the exit code.
int post_arguments(const CallOptions& o, const std::string& route,
                   const std::function<void(const std::string&)>& print) {
  json args = json::parse(o.args, nullptr, false);
  if (args.is_discarded() || !args.is_array()) {
    fmt::print(stderr, "error: arguments must be a JSON array, e.g. '[\"Alice\"]'\n");
    return kExitUsage;
  }
  NodeRequest request{"POST", route + "/" + o.module + "/" + o.reducer, args.dump()};
  if (!o.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + o.token);
  std::string response;
  if (!send_to_node(o.address, request, &response)) return kExitError;
  print(response);
  return kExitOk;
}

int call(const CallOptions& o) {
  return post_arguments(o, "/call", [](const std::string&) { fmt::print("ok\n"); });
}

// Prints a query's value (POST /query), as JSON.
int query_call(const CallOptions& o) {
  return post_arguments(o, "/query", [](const std::string& value) { fmt::print("{}\n", value); });
}

struct QueryOptions {
  std::string address, module, table;
  bool as_array = false;
  std::string key_file;  // the operator key, for private tables; empty: none sent
};

// Sends the operator key read from `key_file` with `request` (nothing if
// the file name is empty); false, with an error printed, if it is unreadable.
bool add_operator_key(const std::string& key_file, NodeRequest* request) {
  if (key_file.empty()) return true;
  std::ifstream in(key_file);
  std::string key;
  if (!in || !std::getline(in, key) || key.empty()) {
    fmt::print(stderr, "error: cannot read the operator key from {}\n", key_file);
    return false;
  }
  request->headers.emplace_back("Authorization", "Bearer " + key);
  return true;
}

// Prints rows: one JSON object per line, or one JSON array.
void print_rows(const json& rows, bool as_array, bool* first) {
  for (const json& row : rows) {
    if (as_array)
      fmt::print("{}{}", *first ? "" : ",", row.dump());
    else
      fmt::print("{}\n", row.dump());
    *first = false;
  }
}

// Follows the node's pages (GET /tables is paged), printing each as it comes.
int query(const QueryOptions& o) {
  std::string path = "/tables/" + o.module + "/" + o.table;
  bool first = true;
  NodeRequest request{"GET", "", ""};
  if (!add_operator_key(o.key_file, &request)) return kExitError;
  if (o.as_array) fmt::print("[");
  while (!path.empty()) {
    std::string response, next;
    request.path = path;
    if (!send_to_node(o.address, request, &response, &next)) return kExitError;
    json rows = json::parse(response, nullptr, false);
    if (!rows.is_array()) {
      fmt::print(stderr, "error: the node's reply is not a JSON array of rows\n");
      return kExitError;
    }
    print_rows(rows, o.as_array, &first);
    path = next;
  }
  if (o.as_array) fmt::print("]\n");
  return kExitOk;
}

struct SqlOptions {
  std::string address, sql;
  bool as_array = false;
  std::string key_file;
};

int sql(const SqlOptions& o) {
  NodeRequest request{"POST", "/v1/sql", o.sql, "text/plain", {}};
  if (!add_operator_key(o.key_file, &request)) return kExitError;
  std::string response;
  if (!send_to_node(o.address, request, &response)) return kExitError;
  json rows = json::parse(response, nullptr, false);
  if (!rows.is_array()) {
    fmt::print(stderr, "error: the node's reply is not a JSON array of rows\n");
    return kExitError;
  }
  bool first = true;
  if (o.as_array) fmt::print("[");
  print_rows(rows, o.as_array, &first);
  if (o.as_array) fmt::print("]\n");
  return kExitOk;
}

}  // namespace

void add_sql_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SqlOptions>();
  CLI::App* cmd =
      app.add_subcommand("sql", "Run a SQL query (SELECT ... FROM [module.]table ...) on a node");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("query", o->sql, "The query, e.g. \"SELECT * FROM hello.greetings WHERE id > 1\"")
      ->required();
  cmd->add_flag("--json", o->as_array, "Print one JSON array instead of one JSON row per line");
  cmd->add_option("--operator-key", o->key_file,
                  "The node's operator key file (DATA_DIR/operator.key): private tables need it");
  cmd->callback([o, &exit_code] { exit_code = sql(*o); });
}

void add_peers_command(CLI::App& node, int& exit_code);

void add_node_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string address;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* node = app.add_subcommand("node", "Ask a running node about itself");
  node->require_subcommand(1);
  CLI::App* id = node->add_subcommand("id", "Print the node's id (its Ed25519 public key, hex)");
  id->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  id->add_flag("--json", o->json, "Print {\"id\": …}");
  id->callback([o, &exit_code] {
    exit_code = show(o->address, "/node", [&](const json& node_info) {
      fmt::print("{}\n", o->json ? node_info.dump() : node_info.value("id", ""));
    });
  });
  add_peers_command(*node, exit_code);
}

void add_peers_command(CLI::App& node, int& exit_code) {
  struct Options {
    std::string address;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* peers = node.add_subcommand(
      "peers", "List the peers connected to a node and the node's own links to other nodes");
  peers->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  peers->add_flag("--json", o->json,
                  "Print a JSON array of {direction, id, address, ...} (docs/cli.md)");
  peers->callback([o, &exit_code] {
    exit_code = show(o->address, "/peers", [&](const json& list) {
      if (o->json) return fmt::print("{}\n", list.dump());
      if (list.empty()) fmt::print("no peers connected, and no links to other nodes\n");
      for (const json& p : list) {
        if (p.value("direction", "incoming") == "incoming") {
          fmt::print("incoming  {} from {}\n", p.value("id", ""), p.value("address", ""));
          continue;
        }
        std::string state =
            p.value("connected", false)
                ? "connected to " + p.value("id", "")
                : "not connected" +
                      (p.contains("last_error") ? ": " + p.value("last_error", "") : std::string());
        fmt::print("outgoing  {} {} ({} subscription{}, {} call{} waiting)\n",
                   p.value("address", ""), state, p.value("subscriptions", 0),
                   p.value("subscriptions", 0) == 1 ? "" : "s",
                   p.value("queued_calls", 0) + p.value("calls_in_flight", 0),
                   p.value("queued_calls", 0) + p.value("calls_in_flight", 0) == 1 ? "" : "s");
      }
    });
  });
}

void add_module_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string address;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* module = app.add_subcommand("module", "Modules of a running node");
  module->require_subcommand(1);
  CLI::App* list = module->add_subcommand("list", "List the loaded modules");
  list->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  list->add_flag("--json", o->json, "Print the node's JSON description");
  list->callback([o, &exit_code] {
    exit_code = show(o->address, "/modules", [&](const json& modules) {
      if (o->json) return fmt::print("{}\n", modules.dump());
      for (const json& m : modules) {
        std::string tables, reducers;
        for (const json& t : m["tables"])
          tables += fmt::format("{}{} ({} rows)", tables.empty() ? "" : ", ",
                                t["name"].get<std::string>(), t["rows"].get<uint64_t>());
        for (const json& r : m["reducers"])
          reducers += (reducers.empty() ? "" : ", ") + r["name"].get<std::string>();
        fmt::print("{} {} {}\n  tables: {}\n  reducers: {}\n", m["name"].get<std::string>(),
                   m["version"].get<std::string>(), m["visibility"].get<std::string>(),
                   tables.empty() ? "-" : tables, reducers.empty() ? "-" : reducers);
      }
    });
  });
  add_module_remove_command(*module, exit_code);
}

void add_call_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* cmd = app.add_subcommand("call", "Call a reducer on a running node");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("module", o->module, "Module name")->required();
  cmd->add_option("reducer", o->reducer, "Reducer name")->required();
  cmd->add_option("args", o->args, "Arguments as a JSON array")->capture_default_str();
  cmd->add_option("--token", o->token,
                  "A client token (`interstice identity`): the reducer sees that client as its "
                  "caller");
  cmd->callback([o, &exit_code] { exit_code = call(*o); });
}

void add_query_call_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* cmd = app.add_subcommand("query-call",
                                     "Ask a module's query (INTERSTICE_QUERY) and print its value");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("module", o->module, "Module name")->required();
  cmd->add_option("query", o->reducer, "Query name")->required();
  cmd->add_option("args", o->args, "Arguments as a JSON array")->capture_default_str();
  cmd->add_option("--token", o->token, "A client token (`interstice identity`): the caller");
  cmd->callback([o, &exit_code] { exit_code = query_call(*o); });
}

void add_query_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("query", "Print the rows of a table of a running node");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("module", o->module, "Module name")->required();
  cmd->add_option("table", o->table, "Table name")->required();
  cmd->add_flag("--json", o->as_array, "Print one JSON array instead of one JSON row per line");
  cmd->add_option("--operator-key", o->key_file,
                  "The node's operator key file (DATA_DIR/operator.key): private tables need it");
  cmd->callback([o, &exit_code] { exit_code = query(*o); });
}

}  // namespace interstice::cli
