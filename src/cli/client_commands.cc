#include <fmt/format.h>
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

struct CallOptions {
  std::string address, module, reducer, args = "[]";
};

int call(const CallOptions& o) {
  json args = json::parse(o.args, nullptr, false);
  if (args.is_discarded() || !args.is_array()) {
    fmt::print(stderr, "error: arguments must be a JSON array, e.g. '[\"Alice\"]'\n");
    return kExitUsage;
  }
  std::string response;
  if (!send(o.address, "POST", "/call/" + o.module + "/" + o.reducer, args.dump(), &response))
    return kExitError;
  fmt::print("ok\n");
  return kExitOk;
}

struct QueryOptions {
  std::string address, module, table;
  bool as_array = false;
};

int query(const QueryOptions& o) {
  std::string response;
  if (!send(o.address, "GET", "/tables/" + o.module + "/" + o.table, "", &response))
    return kExitError;
  json rows = json::parse(response, nullptr, false);
  if (o.as_array) {
    fmt::print("{}\n", rows.dump());
    return kExitOk;
  }
  for (const json& row : rows) fmt::print("{}\n", row.dump());
  return kExitOk;
}

}  // namespace

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
    std::string response;
    if (!send(o->address, "GET", "/node", "", &response)) {
      exit_code = kExitError;
      return;
    }
    json node_info = json::parse(response, nullptr, false);
    if (o->json)
      fmt::print("{}\n", node_info.dump());
    else
      fmt::print("{}\n", node_info.value("id", ""));
    exit_code = kExitOk;
  });
  add_peers_command(*node, exit_code);
}

void add_peers_command(CLI::App& node, int& exit_code) {
  struct Options {
    std::string address;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* peers = node.add_subcommand("peers", "List the peers connected to a node's peer port");
  peers->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  peers->add_flag("--json", o->json, "Print a JSON array of {id, address}");
  peers->callback([o, &exit_code] {
    std::string response;
    if (!send(o->address, "GET", "/peers", "", &response)) {
      exit_code = kExitError;
      return;
    }
    json list = json::parse(response, nullptr, false);
    if (o->json) {
      fmt::print("{}\n", list.dump());
      exit_code = kExitOk;
      return;
    }
    if (list.empty()) fmt::print("no peers connected\n");
    for (const json& p : list) fmt::print("{} {}\n", p.value("id", ""), p.value("address", ""));
    exit_code = kExitOk;
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
    std::string response;
    if (!send(o->address, "GET", "/modules", "", &response)) {
      exit_code = kExitError;
      return;
    }
    json modules = json::parse(response, nullptr, false);
    if (o->json) {
      fmt::print("{}\n", modules.dump());
    } else {
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
    }
    exit_code = kExitOk;
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
  cmd->callback([o, &exit_code] { exit_code = call(*o); });
}

void add_query_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("query", "Print the rows of a table of a running node");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("module", o->module, "Module name")->required();
  cmd->add_option("table", o->table, "Table name")->required();
  cmd->add_flag("--json", o->as_array, "Print one JSON array instead of one JSON row per line");
  cmd->callback([o, &exit_code] { exit_code = query(*o); });
}

}  // namespace interstice::cli
