// `interstice trace ADDR [--seconds N] [-o FILE]`: records what a running
// node does for N seconds (GET /trace, operator only) and writes the
// trace-event JSON that ui.perfetto.dev opens.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"

namespace interstice::cli {
namespace {

struct TraceOptions {
  std::string address;
  std::string key_file;
  int seconds = 5;
  std::string output = "trace.json";
};

int trace(const TraceOptions& o) {
  std::string key;
  if (!read_operator_key(o.key_file, &key, false)) return kExitError;
  NodeRequest request{"GET",
                      fmt::format("/trace?seconds={}", o.seconds),
                      "",
                      "",
                      {{"Authorization", "Bearer " + key}}};
  request.read_timeout_seconds = o.seconds + 60;  // recording, then writing it out
  fmt::print(stderr, "recording {} s of {}...\n", o.seconds, o.address);
  std::string response;
  if (!send_to_node(o.address, request, &response)) return kExitError;
  auto answer = nlohmann::json::parse(response, nullptr, false);
  if (!answer.is_object() || !answer.contains("traceEvents")) {
    print_error(false, "the node answered " + response.substr(0, 200));
    return kExitError;
  }
  std::ofstream out(o.output);
  out << response << "\n";
  if (!out) {
    print_error(false, "cannot write " + o.output);
    return kExitError;
  }
  const nlohmann::json& other = answer["otherData"];
  uint64_t dropped = other.value("dropped", uint64_t{0});
  fmt::print(
      "wrote {} spans to {}{} (open it in ui.perfetto.dev)\n", other.value("spans", uint64_t{0}),
      o.output,
      dropped ? fmt::format("; {} more were dropped (the node keeps 200,000)", dropped) : "");
  return kExitOk;
}

}  // namespace

void add_trace_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TraceOptions>();
  CLI::App* cmd = app.add_subcommand(
      "trace", "Record what a running node does for a while, as trace-event JSON (Perfetto)");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("--seconds", o->seconds, "How long to record")
      ->capture_default_str()
      ->check(CLI::Range(1, 60));
  cmd->add_option("-o,--output", o->output, "Where to write the trace")->capture_default_str();
  add_operator_key_option(*cmd, o->key_file);
  cmd->callback([o, &exit_code] { exit_code = trace(*o); });
}

}  // namespace interstice::cli
