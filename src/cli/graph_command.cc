// `interstice graph DATA_DIR [--from N] [--to N] [-o FILE]`: what triggered
// what in a node's log (node/trigger_graph.h), as DOT on standard output or
// in FILE; FILE.svg, .png or .pdf is drawn by Graphviz's `dot`.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "base/env.h"
#include "cli/exit_codes.h"
#include "cli/node_commands.h"
#include "node/trigger_graph.h"

namespace interstice::cli {
namespace {

struct GraphCommandOptions {
  std::string data_dir;
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
  uint64_t cascade = 0;  // the root of a cascade to draw instead (0: none)
  std::string output;
};

int graph(const GraphCommandOptions& o) {
  auto dot = o.cascade ? node::cascade_dot(base::Env::posix(), o.data_dir, o.cascade)
                       : node::trigger_graph_dot(base::Env::posix(), o.data_dir,
                                                 node::GraphOptions{o.from, o.to});
  if (!dot) {
    fmt::print(stderr, "error: {}\n", dot.error().message);
    return kExitError;
  }
  if (o.output.empty()) {
    fmt::print("{}", *dot);
    return kExitOk;
  }
  std::filesystem::path file(o.output);
  std::string format = file.extension().string();
  if (!format.empty()) format.erase(0, 1);
  if (format == "svg" || format == "png" || format == "pdf") {
    if (auto drawn = node::draw_dot(*dot, format, file); !drawn) {
      fmt::print(stderr, "error: {}; `-o FILE.dot` writes the graph without it\n",
                 drawn.error().message);
      return kExitError;
    }
    return kExitOk;
  }
  std::ofstream out(file);
  out << *dot;
  if (!out.flush()) {
    fmt::print(stderr, "error: cannot write {}\n", file.string());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void add_graph_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GraphCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "graph", "Draw what triggered what in a node's log, and the subscriptions modules declare");
  cmd->add_option("data_dir", o->data_dir, "The node's data directory (the node stopped)")
      ->required();
  cmd->add_option("--from", o->from, "The first log offset to count")->capture_default_str();
  cmd->add_option("--to", o->to, "The last log offset to count");
  cmd->add_option("--cascade", o->cascade,
                  "Instead: the transactions that the one at this offset set off, each from the "
                  "one whose commit queued it");
  cmd->add_option("-o,--output", o->output,
                  "Write to FILE: .dot as is; .svg, .png or .pdf drawn by Graphviz (default: DOT "
                  "on standard output)");
  cmd->callback([o, &exit_code] { exit_code = graph(*o); });
}

}  // namespace interstice::cli
