// `interstice graph`: what triggered what in a data directory's log, drawn
// as a Graphviz DOT graph. Each module is a cluster with its reducers and
// tables; an edge goes from what started a transaction (a table's change,
// a remote node's table, clients, peers, init, input, a schedule, a remote
// call's outcome) to the reducer that ran, and from a reducer to the tables
// it wrote, each labelled with how many transactions took it in the range.
// The subscriptions the loaded modules declare are drawn too, dashed where
// the range has no transaction through them (the static graph).
//
// The log records each transaction's trigger, not the transaction whose
// commit caused it, so the graph is by kind of edge, not one per cascade.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "base/env.h"
#include "base/result.h"

namespace interstice::node {

struct GraphOptions {
  uint64_t from = 1;
  uint64_t to = std::numeric_limits<uint64_t>::max();
};

base::Result<std::string> trigger_graph_dot(base::Env& env, const std::filesystem::path& data_dir,
                                            const GraphOptions& options);

// The cascade that transaction `root` started, as DOT: each transaction
// (offset, module.reducer) and an edge from the one whose commit queued it
// (TxRecord::parent) labelled with its trigger; at most `max_transactions`.
// NotFound if no transaction has offset `root`.
base::Result<std::string> cascade_dot(base::Env& env, const std::filesystem::path& data_dir,
                                      uint64_t root, size_t max_transactions = 2'000);

// Draws `dot` with Graphviz's `dot` into `file` as `format` (svg, png, pdf).
base::Result<void> draw_dot(const std::string& dot, const std::string& format,
                            const std::filesystem::path& file);
// `dot` drawn as SVG (draw_dot, through a temporary file): the dashboard's graph.
base::Result<std::string> dot_to_svg(const std::string& dot);

}  // namespace interstice::node
