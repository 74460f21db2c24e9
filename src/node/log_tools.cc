#include "node/log_tools.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/json_codec.h"
#include "node/module_directory.h"
#include "node/module_history.h"
#include "node/module_store.h"
#include "node/record_decoders.h"
#include "node/snapshot_restore.h"
#include "node/structured_log.h"
#include "runtime/runtime.h"
#include "storage/lifecycle_record.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {
namespace {

using json = nlohmann::ordered_json;

const char* kind_name(storage::EffectKind kind) {
  switch (kind) {
    case storage::EffectKind::Insert:
      return "insert";
    case storage::EffectKind::Update:
      return "update";
    case storage::EffectKind::Delete:
      return "delete";
  }
  return "insert";
}

}  // namespace

const char* module_log_level(abi::LogLevel level) {
  switch (level) {
    case abi::LogLevel::Trace:
      return "trace";
    case abi::LogLevel::Debug:
      return "debug";
    case abi::LogLevel::Info:
      return "info";
    case abi::LogLevel::Warn:
      return "warning";
    case abi::LogLevel::Error:
      return "error";
  }
  return "info";
}

json decoded_row(const runtime::Runtime* rt, const std::string& module, const std::string& table,
                 std::span<const uint8_t> row) {
  const runtime::Table* t = rt ? rt->table(module, table) : nullptr;
  std::vector<runtime::ByteView> columns;
  if (!t || !t->layout().split(row, &columns).empty()) {
    std::string hex;
    for (uint8_t b : row) hex += fmt::format("{:02x}", b);
    return hex;
  }
  return bytes_to_json(row, abi::named(t->def().row_type), t->layout().resolver());
}

namespace {

json args_json(const runtime::Runtime* rt, const storage::TxRecord& r) {
  const abi::ModuleSchema* schema = rt ? rt->schema(r.module) : nullptr;
  const abi::ReducerDef* def = schema ? schema->find_reducer(r.reducer) : nullptr;
  if (!def) return nullptr;
  abi::Type params = def->params_type();
  abi::TypeResolver types(schema->types);
  if (!abi::validate(r.args.data, params, types).empty()) return nullptr;
  return bytes_to_json(r.args.data, params, types);
}

// A lifecycle record: {"offset", "lifecycle": "node_start" | "publish" |
// "remove", "module", and "modules" + "snapshot" or "hash"}.
json lifecycle_json(uint64_t offset, const storage::TxRecord& r) {
  json j{{"offset", offset}, {"lifecycle", r.trigger.to_string()}, {"module", r.module}};
  if (r.trigger.kind == storage::TriggerKind::NodeStart) {
    auto start = abi::from_bytes<storage::NodeStartRecord>(r.args.data);
    json modules = json::array();
    if (start)
      for (const storage::ModuleVersion& m : start->modules)
        modules.push_back({{"name", m.name}, {"hash", m.hash}});
    j["modules"] = modules;
    j["snapshot"] = start ? start->snapshot : 0;
  } else if (r.trigger.kind == storage::TriggerKind::Publish) {
    auto version = abi::from_bytes<storage::ModuleVersion>(r.args.data);
    j["hash"] = version ? version->hash : "";
  }
  return j;
}

// "#1 node_start: hello 1a2b3c4d, caller 5e6f7a8b (snapshot 0)", "#7 publish
// hello 9c8d7e6f", "#9 remove hello".
std::string lifecycle_text(const json& j) {
  std::string text =
      fmt::format("#{} {}", j["offset"].get<uint64_t>(), j["lifecycle"].get<std::string>());
  auto short_hash = [](const json& hash) { return hash.get<std::string>().substr(0, 8); };
  if (j.contains("modules")) {
    std::string modules;
    for (const json& m : j["modules"])
      modules += fmt::format("{}{} {}", modules.empty() ? "" : ", ", m["name"].get<std::string>(),
                             short_hash(m["hash"]));
    return text + fmt::format(": {} (snapshot {})", modules.empty() ? "no modules" : modules,
                              j["snapshot"].get<uint64_t>());
  }
  text += " " + j["module"].get<std::string>();
  if (j.contains("hash")) text += " " + short_hash(j["hash"]);
  return text;
}

json record_json(const runtime::Runtime* rt, uint64_t offset, const storage::TxRecord& r) {
  if (r.trigger.is_lifecycle()) return lifecycle_json(offset, r);
  json effects = json::array();
  for (const storage::RowEffect& e : r.effects)
    effects.push_back({{"table", e.table},
                       {"kind", kind_name(e.kind)},
                       {"row", decoded_row(rt, r.module, e.table, e.row.data)}});
  json j{{"offset", offset},
         {"module", r.module},
         {"reducer", r.reducer},
         {"args", args_json(rt, r)},
         {"timestamp_us", r.timestamp_us},
         {"time", utc_time(r.timestamp_us)},
         {"caller", r.caller},
         {"random_seed", r.random_seed},
         {"host_calls", r.host_calls},
         {"trigger", r.trigger.to_string()},
         {"effects", effects}};
  // The transaction whose commit queued this one, when there is one.
  if (r.parent != 0) j["parent"] = r.parent;
  return j;
}

}  // namespace

std::string transaction_text(const json& j) {
  if (j.contains("lifecycle")) return lifecycle_text(j);
  std::string args;
  if (j["args"].is_array()) {
    for (const json& arg : j["args"]) args += (args.empty() ? "" : ", ") + arg.dump();
  } else {
    args = "arguments not decoded: the module is not loaded and its version is not in the store";
  }
  std::string text = fmt::format("#{} {}.{}({}) at {}", j["offset"].get<uint64_t>(),
                                 j["module"].get<std::string>(), j["reducer"].get<std::string>(),
                                 args, j["time"].get<std::string>());
  if (!j["caller"].get<std::string>().empty()) text += " caller=" + j["caller"].get<std::string>();
  if (!j["trigger"].get<std::string>().empty())
    text += " (" + j["trigger"].get<std::string>() + ")";
  if (j.contains("parent")) text += fmt::format(" after #{}", j["parent"].get<uint64_t>());
  for (const json& e : j["effects"])
    text += fmt::format(
        "\n    {} {} {}", e["kind"].get<std::string>(), e["table"].get<std::string>(),
        e["row"].is_string() ? "(not decoded) " + e["row"].get<std::string>() : e["row"].dump());
  return text;
}

base::Result<void> inspect_log(base::Env& env, const std::filesystem::path& data_dir,
                               const InspectOptions& options,
                               const std::function<void(const std::string&)>& out) {
  auto rt = offline_runtime(env, data_dir);
  if (!rt) return rt.take_error();
  RecordDecoders decoders(env, data_dir, **rt);
  std::optional<base::Error> failure;
  // With a filter, the segments' tags files let the read skip segments that
  // hold nothing of the module or table.
  std::string tag = options.module && options.table ? *options.module + "." + *options.table
                    : options.module                ? *options.module
                                                    : "";
  auto visit = [&](uint64_t offset, std::span<const uint8_t> payload) {
    if (offset > options.to) return false;
    auto record = storage::decode_tx_record(payload);
    if (!record) {
      failure =
          base::make_error(fmt::format("log record {} is not a valid transaction record", offset));
      return false;
    }
    if (options.module && record->module != *options.module) return true;
    if (options.table) {
      bool touches = false;
      for (const auto& e : record->effects) touches = touches || e.table == *options.table;
      if (!touches) return true;
    }
    json j = record_json(decoders.for_record(record->module, offset), offset, *record);
    out(options.json ? j.dump() : transaction_text(j));
    return true;
  };
  std::filesystem::path log_dir = data_dir / "log";
  auto read = tag.empty()
                  ? storage::TransactionLog::read(env, log_dir, options.from, visit)
                  : storage::TransactionLog::read_tagged(env, log_dir, options.from, tag, visit);
  if (!read) return read.take_error();
  if (failure) return *failure;
  return {};
}

namespace {

// The first difference between what the log recorded and what re-execution
// produced, or nullopt.
std::optional<std::string> compare_effects(const runtime::Runtime& rt, uint64_t offset,
                                           const storage::TxRecord& record,
                                           const std::vector<runtime::TableEvent>& actual_all) {
  std::vector<const runtime::TableEvent*> actual;
  for (const runtime::TableEvent& e : actual_all) {
    const runtime::Table* t = rt.table(e.module, e.table);
    if (t && t->def().persistence == abi::Persistence::Logged) actual.push_back(&e);
  }
  std::string where = fmt::format("transaction {} ({}.{})", offset, record.module, record.reducer);
  size_t n = std::max(actual.size(), record.effects.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= record.effects.size()) {
      const runtime::TableEvent& a = *actual[i];
      const auto& row = a.kind == runtime::EventKind::Delete ? a.old_row : a.new_row;
      return fmt::format("{}: re-execution made an extra change: {} {} {}", where,
                         abi::to_string(a.kind), a.table,
                         decoded_row(&rt, record.module, a.table, row).dump());
    }
    const storage::RowEffect& expected = record.effects[i];
    json expected_row = decoded_row(&rt, record.module, expected.table, expected.row.data);
    if (i >= actual.size())
      return fmt::format("{}: re-execution did not make the change {} {} {}", where,
                         kind_name(expected.kind), expected.table, expected_row.dump());
    const runtime::TableEvent& a = *actual[i];
    const auto& row = a.kind == runtime::EventKind::Delete ? a.old_row : a.new_row;
    if (a.table != expected.table ||
        static_cast<uint32_t>(a.kind) != static_cast<uint32_t>(expected.kind) ||
        row != expected.row.data)
      return fmt::format("{}, table {}: expected {} {}, got {} {} {}", where, expected.table,
                         kind_name(expected.kind), expected_row.dump(), abi::to_string(a.kind),
                         a.table, decoded_row(&rt, record.module, a.table, row).dump());
  }
  return std::nullopt;
}

}  // namespace

base::Result<ReplayReport> replay_log(base::Env& env, const std::filesystem::path& data_dir,
                                      const ReplayOptions& options) {
  // A log whose older segments were pruned or archived starts from the
  // newest snapshot instead of from empty.
  uint64_t first = 0, total = 0;
  bool starts_with_node_start = false;
  (void)storage::TransactionLog::read(
      env, data_dir / "log", 1, [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (!first) {
          first = offset;
          auto record = storage::decode_tx_record(payload);
          starts_with_node_start =
              record && record->trigger.kind == storage::TriggerKind::NodeStart;
        }
        return ++total, true;
      });
  // A log that begins with the node's first start says which modules ran
  // each transaction (lifecycle records); older logs are replayed with the
  // modules there are now.
  bool from_history = first == 1 && starts_with_node_start;
  uint64_t current = 0;  // the offset being replayed (for the observers)
  auto rt = offline_runtime(
      env, data_dir, /*load=*/!from_history, [&](runtime::RuntimeOptions& runtime_options) {
        if (options.on_call_end) {
          runtime_options.on_call_end = [&](const runtime::CallObservation& call) {
            options.on_call_end(current, call);
          };
          runtime_options.time_host_calls = [] { return true; };
        }
        if (options.on_module_log)
          runtime_options.log_sink = [&](const runtime::LogRecord& line) {
            options.on_module_log(current, line);
          };
      });
  if (!rt) return rt.take_error();
  ModuleHistory history(env, data_dir, **rt);
  uint64_t from = 1;
  if (first > 1) {
    std::vector<std::string> warnings;
    auto snapshot = storage::read_newest_snapshot(env, data_dir / "snapshots", &warnings);
    if (!snapshot) return snapshot.take_error();
    if (!*snapshot || (*snapshot)->offset + 1 < first)
      return base::make_error(fmt::format(
          "the log starts at offset {} and no snapshot covers what came before", first));
    if (auto r = restore_tables(**rt, **snapshot); !r) return r.take_error();
    from = (*snapshot)->offset + 1;
    total -= std::min(total, from - first);
  }
  if (options.until)
    total = std::min(total, *options.until >= from ? *options.until - from + 1 : 0);

  ReplayReport report;
  auto start = std::chrono::steady_clock::now();
  std::optional<base::Error> failure;
  std::vector<runtime::TableEvent> effects;
  uint64_t seen = 0;  // records read, lifecycle records included (progress)
  std::vector<uint64_t> states_at = options.states_at;
  std::sort(states_at.begin(), states_at.end(), std::greater<>());  // the next one last
  auto show_states_before = [&](uint64_t offset) {
    while (!states_at.empty() && states_at.back() < offset) {
      if (options.on_state) options.on_state(states_at.back(), **rt);
      states_at.pop_back();
    }
  };
  auto read = storage::TransactionLog::read(
      env, data_dir / "log", from, [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (options.until && offset > *options.until) return false;
        show_states_before(offset);
        current = offset;
        auto record = storage::decode_tx_record(payload);
        if (!record) {
          failure = base::make_error(
              fmt::format("log record {} is not a valid transaction record", offset));
          return false;
        }
        ++seen;
        if (record->trigger.is_lifecycle()) {
          if (auto r = history.apply(offset, *record); !r) {
            failure = r.error();
            return false;
          }
          return true;
        }
        if (options.verify && offset >= options.verify_from) {
          runtime::TransactionInputs inputs{
              record->timestamp_us, record->random_seed, record->caller, {}};
          // Calls without a stored outcome returned 0 (Ok) without bytes.
          inputs.host_results.resize(record->host_calls);
          for (storage::HostResultRecord& r : record->host_results) {
            if (r.call >= record->host_calls) {
              failure = base::make_error(fmt::format("log record {}: host call {} of {}", offset,
                                                     r.call, record->host_calls));
              return false;
            }
            inputs.host_results[r.call] = runtime::HostResult{r.value, std::move(r.data.data)};
          }
          auto ran = (*rt)->replay_call(record->module, record->reducer, record->args.data, inputs,
                                        record->trigger, &effects);
          if (!ran) {
            report.divergence =
                fmt::format("transaction {} ({}.{}) failed on re-execution: {}", offset,
                            record->module, record->reducer, ran.error().message);
            return false;
          }
          report.divergence = compare_effects(**rt, offset, *record, effects);
          if (report.divergence) return false;
        } else {
          for (const storage::RowEffect& e : record->effects)
            if (auto r = (*rt)->apply(record->module, static_cast<runtime::EventKind>(e.kind),
                                      e.table, e.row.data);
                !r) {
              failure =
                  base::make_error(fmt::format("log record {}: {}", offset, r.error().message));
              return false;
            }
        }
        ++report.transactions;
        if (options.progress && seen % 10000 == 0) options.progress(seen, total);
        return true;
      });
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!read) return read.take_error();
  if (failure) return *failure;
  if (!report.divergence) show_states_before(UINT64_MAX);
  report.notes = history.notes();
  if (options.progress) options.progress(seen, total);
  if (!options.export_to.empty()) {
    json tables = json::object();
    for (const std::string& module : (*rt)->module_names())
      for (const abi::TableDef& def : (*rt)->schema(module)->tables) {
        json rows = json::array();
        (*rt)->table(module, def.name)->for_each([&](const runtime::Bytes& row) {
          rows.push_back(decoded_row(rt->get(), module, def.name, row));
        });
        tables[module][def.name] = rows;
      }
    std::ofstream out(options.export_to);
    out << tables.dump(2) << "\n";
    if (!out) return base::make_error("cannot write " + options.export_to.string());
  }
  return report;
}

}  // namespace interstice::node
