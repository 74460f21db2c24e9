// `interstice publish` and `interstice module remove`: operator actions on a
// running node, authorized by the node's operator key (docs/cli.md).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"

namespace interstice::cli {

void add_operator_key_option(CLI::App& cmd, std::string& key_file) {
  key_file = (std::filesystem::path(default_data_dir()) / "operator.key").string();
  cmd.add_option("--operator-key", key_file, "The node's operator key file (DATA_DIR/operator.key)")
      ->capture_default_str();
}

bool read_operator_key(const std::string& file, std::string* key, bool json) {
  std::ifstream in(file);
  if (!in || !std::getline(in, *key) || key->empty()) {
    print_error(json, fmt::format("cannot read the operator key from {}; pass --operator-key "
                                  "DATA_DIR/operator.key of the node",
                                  file));
    return false;
  }
  return true;
}

namespace {

struct PublishOptions {
  std::string address = "127.0.0.1:8080";
  std::string wasm;
  std::string key_file;
  bool json = false;
  bool dry_run = false;
};

// Prints what a publish would do (POST /modules?dry_run=true); exit code 1
// if the node would refuse it.
int print_plan(const std::string& response, bool json) {
  auto plan = nlohmann::json::parse(response, nullptr, false);
  bool refused = plan.is_object() && plan["refused"].is_string();
  if (json) {
    fmt::print("{}\n", response);
    return refused ? kExitError : kExitOk;
  }
  if (!plan.is_object()) {
    fmt::print(stderr, "error: the node answered {}\n", response);
    return kExitError;
  }
  std::string module = plan.value("module", "?"), version = plan.value("version", "?");
  if (plan["replaces"].is_string())
    fmt::print("would replace {} {} with {}\n", module, plan["replaces"].get<std::string>(),
               version);
  else
    fmt::print("would install {} {} (its init runs)\n", module, version);
  for (const auto& t : plan["tables"]) {
    std::string change = t.value("change", "?");
    uint64_t rows = t.value("rows", uint64_t{0});
    std::string details;  // (+column level, +index by_level, -index by_name, by migrate_items)
    auto add = [&](const std::string& text) {
      details += fmt::format("{}{}", details.empty() ? " (" : ", ", text);
    };
    for (auto [which, prefix] :
         {std::pair{"added_columns", "+column "}, std::pair{"added_indexes", "+index "},
          std::pair{"dropped_indexes", "-index "}})
      if (t.contains(which))
        for (const auto& name : t[which]) add(prefix + name.get<std::string>());
    if (t.contains("migration")) add("by " + t["migration"].get<std::string>());
    if (t.contains("problem")) add(t["problem"].get<std::string>());
    if (!details.empty()) details += ")";
    fmt::print("  table {}: {}{}{}\n", t.value("name", "?"), change,
               change == "new" ? "" : fmt::format(", {} rows", rows), details);
  }
  if (refused) fmt::print("refused: {}\n", plan["refused"].get<std::string>());
  fmt::print("dry run: nothing changed\n");
  return refused ? kExitError : kExitOk;
}

int publish(const PublishOptions& o) {
  std::ifstream in(o.wasm, std::ios::binary);
  if (!in) {
    print_error(o.json, fmt::format("cannot read {}", o.wasm));
    return kExitError;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string key;
  if (!read_operator_key(o.key_file, &key, o.json)) return kExitError;
  if (!o.json)
    fmt::print(stderr, "{} {} ({} bytes) to {}…\n", o.dry_run ? "trying" : "publishing", o.wasm,
               bytes.size(), o.address);
  std::string response;
  NodeRequest request{"POST",
                      o.dry_run ? "/modules?dry_run=true" : "/modules",
                      std::move(bytes),
                      "application/wasm",
                      {{"Authorization", "Bearer " + key}},
                      o.json};
  if (!send_to_node(o.address, request, &response)) return kExitError;
  if (o.dry_run) return print_plan(response, o.json);
  auto result = nlohmann::json::parse(response, nullptr, false);
  if (o.json) {
    fmt::print("{}\n", response);
    return kExitOk;
  }
  std::string module = result.value("module", "?"), version = result.value("version", "?");
  if (result["replaced"].is_string())
    fmt::print("replaced {} {} with {} (its data kept)\n", module,
               result["replaced"].get<std::string>(), version);
  else
    fmt::print("installed {} {}\n", module, version);
  return kExitOk;
}

struct RemoveOptions {
  std::string address, name, key_file;
  bool yes = false;
};

// The module's tables and their rows, from GET /modules; false (having said
// why) if the node cannot be asked or has no such module.
bool count_rows(const RemoveOptions& o, uint64_t* rows, size_t* tables) {
  std::string response;
  if (!send_to_node(o.address, NodeRequest{"GET", "/modules"}, &response)) return false;
  auto modules = nlohmann::json::parse(response, nullptr, false);
  if (modules.is_array())
    for (const auto& m : modules) {
      if (m.value("name", "") != o.name || !m.contains("tables")) continue;
      *rows = 0;
      *tables = m["tables"].size();
      for (const auto& t : m["tables"]) *rows += t.value("rows", uint64_t{0});
      return true;
    }
  fmt::print(stderr, "error: no module '{}' is loaded on {}\n", o.name, o.address);
  return false;
}

// Asks on the terminal (stderr, then a line of stdin) whether to go on: only
// "y" or "yes" does; anything else, or no answer at all, does not.
bool confirmed(const std::string& question) {
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    fmt::print(stderr, "\n");
    return false;
  }
  for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return answer == "y" || answer == "yes";
}

int remove_module(const RemoveOptions& o) {
  std::string key, response;
  if (!read_operator_key(o.key_file, &key)) return kExitError;
  uint64_t rows = 0;
  size_t tables = 0;
  if (!count_rows(o, &rows, &tables)) return kExitError;
  if (!o.yes && !confirmed(fmt::format("Remove module {} from {}, deleting its {} rows in {} "
                                       "tables? This cannot be undone.",
                                       o.name, o.address, rows, tables))) {
    fmt::print(stderr, "nothing removed (--yes removes without asking)\n");
    return kExitError;
  }
  NodeRequest request{"DELETE", "/modules/" + o.name, "", "", {{"Authorization", "Bearer " + key}}};
  if (!send_to_node(o.address, request, &response)) return kExitError;
  auto removed = nlohmann::json::parse(response, nullptr, false);
  fmt::print("removed {} and its {} rows\n", o.name,
             removed.is_object() ? removed.value("rows", rows) : rows);
  return kExitOk;
}

}  // namespace

void add_publish_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PublishOptions>();
  CLI::App* cmd = app.add_subcommand(
      "publish", "Install a module on a running node, or replace it keeping its data");
  cmd->add_option("--addr", o->address, "The node's local interface, HOST:PORT")
      ->capture_default_str();
  cmd->add_option("wasm", o->wasm, "The module's .wasm file")->required();
  add_operator_key_option(*cmd, o->key_file);
  cmd->add_flag("--json", o->json, "Print the node's JSON answer");
  cmd->add_flag("--dry-run", o->dry_run,
                "Say what publishing would do to the module's tables, changing nothing");
  cmd->callback([o, &exit_code] { exit_code = publish(*o); });
}

void add_module_remove_command(CLI::App& module, int& exit_code) {
  auto o = std::make_shared<RemoveOptions>();
  CLI::App* cmd =
      module.add_subcommand("remove", "Unload a module and delete it and its rows from the node");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("module", o->name, "The module's name")->required();
  add_operator_key_option(*cmd, o->key_file);
  cmd->add_flag("--yes,-y", o->yes, "Do not ask first");
  cmd->callback([o, &exit_code] { exit_code = remove_module(*o); });
}

void add_authority_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string address, name, key_file;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("authority", "The authorities of a running node");
  cmd->require_subcommand(1);
  auto print = [](const std::string& response) {
    auto list = nlohmann::json::parse(response, nullptr, false);
    for (const auto& a : list)
      fmt::print("{} {}{}\n", a.value("name", "?"), a.value("granted", false) ? "granted" : "-",
                 a["holder"].is_string() ? ", held by " + a["holder"].get<std::string>() : "");
  };
  CLI::App* list = cmd->add_subcommand("list", "Each authority: granted or not, and its holder");
  list->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  list->add_flag("--json", o->json, "Print the node's JSON answer");
  list->callback([o, print, &exit_code] {
    std::string response;
    if (!send_to_node(o->address, NodeRequest{"GET", "/authorities"}, &response)) {
      exit_code = kExitError;
      return;
    }
    o->json ? fmt::print("{}\n", response) : print(response);
    exit_code = kExitOk;
  });
  for (const char* action : {"grant", "revoke"}) {
    CLI::App* sub = cmd->add_subcommand(
        action, std::string(action) == "grant"
                    ? "Allow an authority; a loaded module that requested it gets it"
                    : "Take an authority away from its holder and refuse it from now on");
    sub->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
    sub->add_option("authority", o->name, "gpu, input, audio or file")->required();
    add_operator_key_option(*sub, o->key_file);
    sub->callback([o, print, action, &exit_code] {
      std::string key, response;
      if (!read_operator_key(o->key_file, &key)) {
        exit_code = kExitError;
        return;
      }
      NodeRequest request{"POST",
                          "/authorities/" + o->name + "/" + action,
                          "",
                          "",
                          {{"Authorization", "Bearer " + key}}};
      if (!send_to_node(o->address, request, &response)) {
        exit_code = kExitError;
        return;
      }
      print(response);
      exit_code = kExitOk;
    });
  }
}

}  // namespace interstice::cli
