// `interstice logs ADDR [-f] [--module M] [--level L] [--json]`: a running
// node's recent log lines (GET /logs, operator only), and with -f the lines
// that follow, until interrupted.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"

namespace interstice::cli {
namespace {

struct LogsOptions {
  std::string address;
  std::string key_file;
  std::string module;
  std::string level;
  bool follow = false;
  bool json = false;
};

// "2026-12-04T13:11:39.462153Z info  [hello::init] Hello world !"
std::string as_text(const nlohmann::ordered_json& line) {
  std::string where;
  if (line.contains("module"))
    where = fmt::format("[{}{}] ", line.value("module", ""),
                        line.contains("reducer") ? "::" + line.value("reducer", "") : "");
  return fmt::format("{} {:<5} {}{}", line.value("time", ""), line.value("level", ""), where,
                     line.value("message", ""));
}

int logs(const LogsOptions& o) {
  std::string key;
  if (!read_operator_key(o.key_file, &key, o.json)) return kExitError;
  uint64_t after = 0;
  for (;;) {
    std::string path = fmt::format("/logs?after={}", after);
    if (!o.module.empty()) path += "&module=" + o.module;
    if (!o.level.empty()) path += "&level=" + o.level;
    std::string response;
    NodeRequest request{"GET", path, "", "", {{"Authorization", "Bearer " + key}}, o.json};
    if (!send_to_node(o.address, request, &response)) return kExitError;
    auto answer = nlohmann::ordered_json::parse(response, nullptr, false);
    if (!answer.is_object() || !answer["lines"].is_array()) {
      print_error(o.json, "the node answered " + response);
      return kExitError;
    }
    for (const auto& line : answer["lines"])
      fmt::print("{}\n", o.json ? line.dump() : as_text(line));
    std::fflush(stdout);
    uint64_t next = answer.value("next", after);
    bool more = next != after && !answer["lines"].empty();
    after = next;
    if (more) continue;  // a full page: ask again at once
    if (!o.follow) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

void add_logs_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* cmd =
      app.add_subcommand("logs", "Print a running node's recent log lines (-f: and follow them)");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_flag("-f,--follow", o->follow, "Keep printing the lines that follow, until Ctrl-C");
  cmd->add_option("--module", o->module, "Only the lines of this module");
  cmd->add_option("--level", o->level, "Only lines at this level or above")
      ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "critical"}));
  cmd->add_flag("--json", o->json, "Print each line as a JSON object");
  add_operator_key_option(*cmd, o->key_file);
  cmd->callback([o, &exit_code] { exit_code = logs(*o); });
}

}  // namespace interstice::cli
