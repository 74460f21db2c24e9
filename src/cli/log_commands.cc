#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/node_commands.h"
#include "node/data_dir_lock.h"
#include "node/log_tools.h"
#include "node/tracer.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"

namespace interstice::cli {
namespace {

struct InspectArgs {
  std::string data_dir;
  std::string module, table;
  uint64_t from = 1, to = UINT64_MAX;
  bool json = false;
};

int inspect(const InspectArgs& a) {
  node::InspectOptions options;
  if (!a.module.empty()) options.module = a.module;
  if (!a.table.empty()) options.table = a.table;
  options.from = a.from;
  options.to = a.to;
  options.json = a.json;
  auto r = node::inspect_log(base::Env::posix(), a.data_dir, options,
                             [](const std::string& line) { fmt::print("{}\n", line); });
  if (!r) {
    fmt::print(stderr, "error: {}\n", r.error().message);
    return kExitError;
  }
  return kExitOk;
}

struct RepairArgs {
  std::string data_dir;
  bool yes = false;
};

// Says so when the log (as it is now) ends before the newest snapshot's
// offset: the node starts from the snapshot and continues the log after it.
void note_log_before_snapshot(const std::filesystem::path& data_dir) {
  uint64_t last = 0;
  (void)storage::TransactionLog::read(base::Env::posix(), data_dir / "log", 1,
                                      [&](uint64_t offset, auto) { return last = offset, true; });
  std::vector<std::string> warnings;
  auto snapshot =
      storage::read_newest_snapshot(base::Env::posix(), data_dir / "snapshots", &warnings);
  if (!snapshot || !*snapshot || last >= (*snapshot)->offset) return;
  fmt::print(
      "the log ends at offset {}, before the snapshot at {}, which holds the transactions it "
      "lost: the next start continues the log after the snapshot (its segments move to "
      "log/archive/)\n",
      last, (*snapshot)->offset);
}

int repair(const RepairArgs& a) {
  // Never under a running node (data_dir_lock.h): it appends to this log.
  auto lock = node::DataDirLock::acquire(a.data_dir, "log repair");
  if (!lock) {
    fmt::print(stderr, "error: {}\n", lock.error().message);
    return kExitError;
  }
  std::filesystem::path dir = std::filesystem::path(a.data_dir) / "log";
  auto found = storage::TransactionLog::check(base::Env::posix(), dir);
  if (!found) {
    fmt::print(stderr, "error: {}\n", found.error().message);
    return kExitError;
  }
  if (!*found) {
    fmt::print("the log in {} is intact; nothing to repair\n", dir.string());
    note_log_before_snapshot(a.data_dir);
    return kExitOk;
  }
  fmt::print(
      "damage at {}\nrepairing cuts the log there: every transaction from that point on is lost.\n",
      (*found)->describe());
  if (!a.yes) {
    fmt::print("cut the log? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "yes")) {
      fmt::print("not repaired\n");
      return kExitError;
    }
  }
  if (auto r = storage::TransactionLog::repair(base::Env::posix(), dir, **found); !r) {
    fmt::print(stderr, "error: {}\n", r.error().message);
    return kExitError;
  }
  fmt::print("repaired: the log now ends before {}\n", (*found)->describe());
  note_log_before_snapshot(a.data_dir);
  return kExitOk;
}

struct ReplayArgs {
  std::string data_dir;
  bool verify = false;
  uint64_t until = 0;
  std::string export_to;
  std::string trace_to;
  bool quiet = false;
};

int replay(const ReplayArgs& a) {
  node::ReplayOptions options;
  // A trace needs the reducers to run: --trace re-executes, as --verify does.
  options.verify = a.verify || !a.trace_to.empty();
  // What the modules log while they run again, with the offset replayed.
  if (options.verify && !a.quiet)
    options.on_module_log = [](uint64_t offset, const runtime::LogRecord& line) {
      fmt::print(stderr, "[{}] {}{}{} {}: {}\n", offset, line.module,
                 line.reducer.empty() ? "" : ".", line.reducer, node::module_log_level(line.level),
                 line.message);
    };
  node::Tracer tracer;
  if (!a.trace_to.empty()) {
    tracer.start();
    options.on_call_end = [&tracer](uint64_t offset, const runtime::CallObservation& call) {
      tracer.add_call(call, {{"offset", offset}});
    };
  }
  if (a.until) options.until = a.until;
  options.export_to = a.export_to;
  if (isatty(2))
    options.progress = [](uint64_t done, uint64_t total) {
      int width = 40;
      int filled = total ? static_cast<int>(width * done / total) : width;
      fmt::print(stderr, "\r[{}{}] {}/{}", std::string(filled, '#'),
                 std::string(width - filled, '.'), done, total);
      if (done == total) fmt::print(stderr, "\n");
    };
  auto report = node::replay_log(base::Env::posix(), a.data_dir, options);
  if (!report) {
    fmt::print(stderr, "error: {}\n", report.error().message);
    return kExitError;
  }
  for (const std::string& note : report->notes) fmt::print(stderr, "note: {}\n", note);
  if (report->divergence) {
    fmt::print(stderr, "DIVERGENCE: {}\n", *report->divergence);
    return kExitError;
  }
  fmt::print("{} {} transactions in {:.3f} s ({:.0f}/s){}\n",
             options.verify ? "verified" : "replayed", report->transactions, report->seconds,
             report->seconds > 0 ? report->transactions / report->seconds : 0.0,
             options.verify ? ": every effect matches the log" : "");
  if (!a.trace_to.empty()) {
    nlohmann::json trace = tracer.stop();
    std::ofstream out(a.trace_to);
    out << trace.dump() << "\n";
    if (!out) {
      fmt::print(stderr, "error: cannot write {}\n", a.trace_to);
      return kExitError;
    }
    fmt::print("wrote {} spans to {} (open it in ui.perfetto.dev)\n",
               trace["otherData"]["spans"].get<uint64_t>(), a.trace_to);
  }
  return kExitOk;
}

}  // namespace

void add_log_commands(CLI::App& app, int& exit_code) {
  CLI::App* log = app.add_subcommand("log", "Inspect or repair a node's transaction log");
  log->require_subcommand(1);

  auto i = std::make_shared<InspectArgs>();
  CLI::App* inspect_cmd =
      log->add_subcommand("inspect", "Print logged transactions with decoded rows");
  inspect_cmd->add_option("data_dir", i->data_dir, "The node's data directory")->required();
  inspect_cmd->add_option("--module", i->module, "Only this module's transactions");
  inspect_cmd->add_option("--table", i->table, "Only transactions that change this table");
  inspect_cmd->add_option("--from", i->from, "First offset")->capture_default_str();
  inspect_cmd->add_option("--to", i->to, "Last offset");
  inspect_cmd->add_flag("--json", i->json, "One JSON object per transaction");
  inspect_cmd->callback([i, &exit_code] { exit_code = inspect(*i); });

  auto r = std::make_shared<RepairArgs>();
  CLI::App* repair_cmd =
      log->add_subcommand("repair", "Cut a damaged log at the first damage (asks first)");
  repair_cmd->add_option("data_dir", r->data_dir, "The node's data directory")->required();
  repair_cmd->add_flag("--yes", r->yes, "Do not ask");
  repair_cmd->callback([r, &exit_code] { exit_code = repair(*r); });

  auto p = std::make_shared<ReplayArgs>();
  CLI::App* replay_cmd =
      app.add_subcommand("replay", "Rebuild the tables from the log, or re-execute it");
  replay_cmd->add_option("data_dir", p->data_dir, "The node's data directory")->required();
  replay_cmd->add_flag(
      "--verify", p->verify,
      "Re-execute every logged call with its recorded inputs and compare the effects");
  replay_cmd->add_option("--until", p->until, "Stop after this offset");
  replay_cmd->add_option("--export", p->export_to, "Write the resulting tables to this JSON file");
  replay_cmd->add_option("--trace", p->trace_to,
                         "Re-execute (as --verify does) and write the reducers' spans to this "
                         "file as trace-event JSON (ui.perfetto.dev)");
  replay_cmd->add_flag("--quiet", p->quiet,
                       "Do not print what the modules log while they run again");
  replay_cmd->callback([p, &exit_code] { exit_code = replay(*p); });
}

}  // namespace interstice::cli
