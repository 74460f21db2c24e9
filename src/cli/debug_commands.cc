// The replay debugger (node/replay_debugger.h), on a stopped node's data
// directory:
//   interstice diff DATA_DIR A B [--json]  what changed in the tables
//   interstice tx DATA_DIR N [--json]      one transaction, run again
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"
#include "node/log_tools.h"
#include "node/replay_debugger.h"

namespace interstice::cli {
namespace {

using json = nlohmann::ordered_json;

struct DiffArgs {
  std::string data_dir;
  uint64_t from = 0, to = 0;
  bool json = false;
};

int diff(const DiffArgs& a) {
  auto changes = node::diff_tables(base::Env::posix(), a.data_dir, a.from, a.to);
  if (!changes) {
    print_error(a.json, changes.error().message);
    return kExitError;
  }
  if (a.json) {
    json tables = json::object();
    for (const node::TableChanges& c : *changes) {
      json updated = json::array();
      for (const auto& [old_row, new_row] : c.updated)
        updated.push_back({{"old", old_row}, {"new", new_row}});
      tables[c.table] = {{"inserted", c.inserted}, {"deleted", c.deleted}, {"updated", updated}};
    }
    fmt::print("{}\n", json{{"from", a.from}, {"to", a.to}, {"tables", tables}}.dump());
    return kExitOk;
  }
  if (changes->empty()) fmt::print("no table changed from offset {} to {}\n", a.from, a.to);
  for (const node::TableChanges& c : *changes) {
    fmt::print("{}: {} inserted, {} deleted, {} updated\n", c.table, c.inserted.size(),
               c.deleted.size(), c.updated.size());
    for (const json& row : c.inserted) fmt::print("  + {}\n", row.dump());
    for (const json& row : c.deleted) fmt::print("  - {}\n", row.dump());
    for (const auto& [old_row, new_row] : c.updated)
      fmt::print("  ~ {}\n    -> {}\n", old_row.dump(), new_row.dump());
  }
  return kExitOk;
}

struct TxArgs {
  std::string data_dir;
  uint64_t offset = 0;
  bool json = false;
};

int tx(const TxArgs& a) {
  auto report = node::explain_transaction(base::Env::posix(), a.data_dir, a.offset);
  if (!report) {
    print_error(a.json, report.error().message);
    return kExitError;
  }
  if (a.json) {
    json logs = json::array();
    for (const runtime::LogRecord& line : report->logs)
      logs.push_back({{"level", node::module_log_level(line.level)},
                      {"module", line.module},
                      {"reducer", line.reducer},
                      {"message", line.message}});
    json out{{"transaction", report->record},
             {"logs", logs},
             {"children", report->children},
             {"divergence", nullptr}};
    if (report->divergence) out["divergence"] = *report->divergence;
    fmt::print("{}\n", out.dump());
    return report->divergence ? kExitError : kExitOk;
  }
  // Its inputs and effects as `log inspect` prints them.
  fmt::print("{}\n", node::transaction_text(report->record));
  const json& r = report->record;
  fmt::print("inputs: caller {}, time {} ({} µs), random seed {}, {} privileged host call{}\n",
             r.value("caller", "").empty() ? "the node" : r.value("caller", ""),
             r.value("time", ""), r.value("timestamp_us", int64_t{0}),
             r.value("random_seed", uint64_t{0}), r.value("host_calls", uint64_t{0}),
             r.value("host_calls", uint64_t{0}) == 1 ? "" : "s");
  if (!report->children.empty()) {
    std::string children;
    for (uint64_t c : report->children) children += fmt::format(" #{}", c);
    fmt::print("its commit queued:{}\n", children);
  }
  fmt::print("logged when it ran again ({}):\n", report->logs.size());
  for (const runtime::LogRecord& line : report->logs)
    fmt::print("  {}{}{} {}: {}\n", line.module, line.reducer.empty() ? "" : ".", line.reducer,
               node::module_log_level(line.level), line.message);
  if (report->divergence) {
    fmt::print(stderr, "DIVERGENCE: {}\n", *report->divergence);
    return kExitError;
  }
  fmt::print("run again with its recorded inputs: the same effects as logged\n");
  return kExitOk;
}

}  // namespace

void add_debug_commands(CLI::App& app, int& exit_code) {
  auto d = std::make_shared<DiffArgs>();
  CLI::App* diff_cmd =
      app.add_subcommand("diff", "What changed in a stopped node's tables between two log offsets");
  diff_cmd->add_option("data_dir", d->data_dir, "The node's data directory")->required();
  diff_cmd->add_option("from", d->from, "The tables after this offset (0: before the first)")
      ->required();
  diff_cmd->add_option("to", d->to, "against the tables after this one")->required();
  diff_cmd->add_flag("--json", d->json, "Print one JSON object");
  diff_cmd->callback([d, &exit_code] { exit_code = diff(*d); });

  auto t = std::make_shared<TxArgs>();
  CLI::App* tx_cmd = app.add_subcommand(
      "tx", "One logged transaction: its inputs, its effects, and what it logs when run again");
  tx_cmd->add_option("data_dir", t->data_dir, "The node's data directory")->required();
  tx_cmd->add_option("offset", t->offset, "Its log offset")->required();
  tx_cmd->add_flag("--json", t->json, "Print one JSON object");
  tx_cmd->callback([t, &exit_code] { exit_code = tx(*t); });
}

}  // namespace interstice::cli
