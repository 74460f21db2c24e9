#include "node/trigger_graph.h"

#include <fmt/format.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "abi/event_name.h"
#include "node/record_decoders.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {
namespace {

// A DOT string literal.
std::string dot_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Edge {
  uint64_t count = 0;
  bool declared = false;  // a subscription a loaded module declares
};

class Graph {
 public:
  void reducer(const std::string& module, const std::string& name) {
    clusters_[module].insert({name, false});
  }
  void table(const std::string& module, const std::string& name) {
    clusters_[module].insert({name, true});
  }
  std::string source(const std::string& name) {
    sources_.insert(name);
    return name;
  }
  Edge& edge(const std::string& from, const std::string& to, const std::string& label) {
    return edges_[{from, to, label}];
  }

  std::string dot() const {
    std::string out =
        "digraph interstice {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n"
        "  node [fontname=\"Helvetica\", fontsize=11];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (const std::string& s : sources_)
      out += fmt::format("  {} [shape=plaintext];\n", dot_string(s));
    for (const auto& [module, members] : clusters_) {
      out += fmt::format("  subgraph {} {{\n    label={};\n    style=rounded;\n",
                         dot_string("cluster_" + module), dot_string(module));
      for (const auto& [name, is_table] : members)
        out += fmt::format("    {} [label={}, shape={}];\n", dot_string(module + "." + name),
                           dot_string(name), is_table ? "cylinder" : "box");
      out += "  }\n";
    }
    for (const auto& [key, e] : edges_) {
      const auto& [from, to, label] = key;
      std::string count = fmt::format("×{}", e.count);
      std::string text = !e.count ? label : label.empty() ? count : label + " " + count;
      out += fmt::format("  {} -> {} [label={}{}];\n", dot_string(from), dot_string(to),
                         dot_string(text), e.count ? "" : ", style=dashed");
    }
    return out + "}\n";
  }

 private:
  std::map<std::string, std::set<std::pair<std::string, bool>>> clusters_;  // name, is table
  std::set<std::string> sources_;
  std::map<std::tuple<std::string, std::string, std::string>, Edge> edges_;
};

// Where a transaction with `trigger` came from: a node of the graph.
std::string source_of(Graph& graph, const storage::TxRecord& r) {
  const abi::Trigger& t = r.trigger;
  switch (t.kind) {
    case abi::TriggerKind::LocalTable:
    case abi::TriggerKind::Schedule:  // the scheduled table's row came due
      graph.table(t.module, t.table);
      return t.module + "." + t.table;
    case abi::TriggerKind::RemoteTable:
      return graph.source(fmt::format("node {}: {}.{}", t.node, t.module, t.table));
    case abi::TriggerKind::Call:
      return graph.source(r.caller.starts_with("client:") ? "clients"
                          : r.caller.empty()              ? "the node"
                                                          : "module calls");
    case abi::TriggerKind::PeerCall:  // the caller is the peer's node id (64 hex digits)
      return graph.source(fmt::format("calls from node {}…", r.caller.substr(0, 12)));
    case abi::TriggerKind::RemoteResult:
      return graph.source("remote calls' outcomes");
    case abi::TriggerKind::Init:
      return graph.source("init");
    case abi::TriggerKind::Load:
      return graph.source("load");
    case abi::TriggerKind::Input:
      return graph.source("input");
    case abi::TriggerKind::Render:
      return graph.source("render");
    case abi::TriggerKind::PeerConnect:
    case abi::TriggerKind::PeerDisconnect:
      return graph.source("peers connecting and leaving");
    default:
      return graph.source("other");
  }
}

std::string label_of(const abi::Trigger& t) {
  switch (t.kind) {
    case abi::TriggerKind::LocalTable:
    case abi::TriggerKind::RemoteTable:
      return abi::to_string(t.op);
    case abi::TriggerKind::Schedule:
      return "due";
    default:
      return "";
  }
}

}  // namespace

base::Result<std::string> trigger_graph_dot(base::Env& env, const std::filesystem::path& data_dir,
                                            const GraphOptions& options) {
  Graph graph;
  // The static graph: the subscriptions of the modules loaded now.
  auto rt = offline_runtime(env, data_dir);
  if (!rt) return rt.take_error();
  for (const std::string& module : (*rt)->module_names()) {
    const abi::ModuleSchema* schema = (*rt)->schema(module);
    for (const abi::TableDef& table : schema->tables) graph.table(module, table.name);
    for (const abi::SubscriptionDef& s : schema->subscriptions) {
      std::optional<abi::EventName> event = abi::EventName::parse(s.event);
      if (!event || !event->is_table()) continue;
      graph.reducer(module, s.reducer);
      std::string from = event->kind == abi::EventName::Kind::LocalTable
                             ? event->module + "." + event->table
                             : graph.source(fmt::format("node {}: {}.{}", event->node,
                                                        event->module, event->table));
      if (event->kind == abi::EventName::Kind::LocalTable) graph.table(event->module, event->table);
      graph.edge(from, module + "." + s.reducer, abi::to_string(event->op)).declared = true;
    }
  }
  // The dynamic graph: every transaction in the range.
  std::optional<base::Error> failure;
  auto read = storage::TransactionLog::read(
      env, data_dir / "log", options.from, [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (offset > options.to) return false;
        auto record = storage::decode_tx_record(payload);
        if (!record) {
          failure = base::make_error(
              fmt::format("log record {} is not a valid transaction record", offset));
          return false;
        }
        if (record->trigger.is_lifecycle()) return true;
        graph.reducer(record->module, record->reducer);
        std::string reducer = record->module + "." + record->reducer;
        ++graph.edge(source_of(graph, *record), reducer, label_of(record->trigger)).count;
        std::set<std::pair<std::string, std::string>> wrote;  // once per transaction
        for (const storage::RowEffect& e : record->effects) {
          graph.table(record->module, e.table);
          const char* op = e.kind == storage::EffectKind::Insert   ? "insert"
                           : e.kind == storage::EffectKind::Update ? "update"
                                                                   : "delete";
          if (wrote.insert({e.table, op}).second)
            ++graph.edge(reducer, record->module + "." + e.table, op).count;
        }
        return true;
      });
  if (!read) return read.take_error();
  if (failure) return *failure;
  return graph.dot();
}

base::Result<std::string> cascade_dot(base::Env& env, const std::filesystem::path& data_dir,
                                      uint64_t root, size_t max_transactions) {
  std::set<uint64_t> members;  // the cascade's transactions so far
  std::string nodes, edges;
  size_t left_out = 0;
  auto label = [](uint64_t offset, const storage::TxRecord& r) {
    return fmt::format("#{}\\n{}.{}", offset, r.module, r.reducer);
  };
  auto read = storage::TransactionLog::read(
      env, data_dir / "log", root, [&](uint64_t offset, std::span<const uint8_t> payload) {
        auto r = storage::decode_tx_record(payload);
        if (!r || r->trigger.is_lifecycle()) return offset != root;
        bool first = offset == root;
        if (!first && !members.count(r->parent)) return true;
        if (members.size() >= max_transactions) {
          ++left_out;
          return true;
        }
        members.insert(offset);
        nodes += fmt::format("  t{} [label=\"{}\", shape=box{}];\n", offset, label(offset, *r),
                             first ? ", style=bold" : "");
        if (!first) {
          std::string how = r->trigger.to_string();
          edges += fmt::format("  t{} -> t{} [label={}];\n", r->parent, offset,
                               dot_string(how.empty() ? "ctx.call" : how));
        }
        return true;
      });
  if (!read) return read.take_error();
  if (members.empty())
    return base::make_error(fmt::format("there is no transaction at offset {}", root),
                            base::ErrorCode::NotFound);
  std::string out =
      "digraph cascade {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n  "
      "edge [fontname=\"sans-serif\", fontsize=10];\n";
  out += nodes + edges;
  if (left_out)
    out += fmt::format("  more [label=\"{} more transactions left out\", shape=plaintext];\n",
                       left_out);
  return out + "}\n";
}

base::Result<void> draw_dot(const std::string& dot, const std::string& format,
                            const std::filesystem::path& file) {
  std::string command = fmt::format("dot -T{} -o '{}'", format, file.string());
  FILE* drawing = popen(command.c_str(), "w");
  if (!drawing) return base::make_error("cannot run Graphviz's dot");
  fwrite(dot.data(), 1, dot.size(), drawing);
  int status = pclose(drawing);
  if (status != 0)
    return base::make_error(fmt::format(
        "Graphviz's dot failed (exit status {}); is it installed (apt install graphviz)?",
        WEXITSTATUS(status)));
  return {};
}

base::Result<std::string> dot_to_svg(const std::string& dot) {
  std::string path = (std::filesystem::temp_directory_path() / "interstice-graph-XXXXXX").string();
  int fd = mkstemp(path.data());
  if (fd < 0) return base::make_error("cannot create a temporary file for the graph");
  close(fd);
  auto drawn = draw_dot(dot, "svg", path);
  std::ifstream in(path);
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  if (!drawn) return drawn.take_error();
  return svg;
}

}  // namespace interstice::node
