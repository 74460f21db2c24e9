#include "node/replay_debugger.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "node/log_tools.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {
namespace {

using json = nlohmann::ordered_json;
// Every table's rows by "module.table", each by its primary key's bytes.
using TablesAt = std::map<std::string, std::map<std::string, json>>;

TablesAt capture(const runtime::Runtime& rt) {
  TablesAt tables;
  for (const std::string& module : rt.module_names())
    for (const abi::TableDef& def : rt.schema(module)->tables) {
      const runtime::Table* table = rt.table(module, def.name);
      auto& rows = tables[module + "." + def.name];
      table->for_each([&](const runtime::Bytes& row) {
        std::vector<runtime::ByteView> columns;
        std::string key;
        if (table->layout().split(row, &columns).empty() && def.primary_key < columns.size())
          key.assign(columns[def.primary_key].begin(), columns[def.primary_key].end());
        else
          key.assign(row.begin(), row.end());
        rows.emplace(std::move(key), decoded_row(&rt, module, def.name, row));
      });
    }
  return tables;
}

}  // namespace

base::Result<std::vector<TableChanges>> diff_tables(base::Env& env,
                                                    const std::filesystem::path& data_dir,
                                                    uint64_t from, uint64_t to) {
  TablesAt before, after;
  ReplayOptions options;
  // Before the first record (0) there are no tables: nothing to capture.
  options.states_at = from == 0 ? std::vector<uint64_t>{to} : std::vector<uint64_t>{from, to};
  options.on_state = [&](uint64_t at, const runtime::Runtime& rt) {
    if (at == from) before = capture(rt);
    if (at == to) after = capture(rt);
  };
  if (auto replayed = replay_log(env, data_dir, options); !replayed) return replayed.take_error();

  std::map<std::string, TableChanges> changes;
  auto of = [&](const std::string& table) -> TableChanges& {
    TableChanges& c = changes[table];
    c.table = table;
    return c;
  };
  static const std::map<std::string, json> kNone;
  std::set<std::string> names;
  for (const auto& [name, rows] : before) names.insert(name);
  for (const auto& [name, rows] : after) names.insert(name);
  for (const std::string& name : names) {
    const auto& old_rows = before.count(name) ? before.at(name) : kNone;
    const auto& new_rows = after.count(name) ? after.at(name) : kNone;
    for (const auto& [key, row] : old_rows) {
      auto now = new_rows.find(key);
      if (now == new_rows.end())
        of(name).deleted.push_back(row);
      else if (now->second != row)
        of(name).updated.emplace_back(row, now->second);
    }
    for (const auto& [key, row] : new_rows)
      if (!old_rows.count(key)) of(name).inserted.push_back(row);
  }
  std::vector<TableChanges> out;
  for (auto& [name, c] : changes) out.push_back(std::move(c));
  return out;
}

base::Result<TransactionReport> explain_transaction(base::Env& env,
                                                    const std::filesystem::path& data_dir,
                                                    uint64_t offset) {
  TransactionReport report;
  InspectOptions inspect;
  inspect.from = inspect.to = offset;
  inspect.json = true;
  std::string printed;
  if (auto r =
          inspect_log(env, data_dir, inspect, [&](const std::string& line) { printed += line; });
      !r)
    return r.take_error();
  report.record = json::parse(printed, nullptr, false);
  // A lifecycle record (a start, publish or removal) is printed with its
  // "lifecycle" kind instead of a reducer.
  if (!report.record.is_object() || report.record.value("offset", uint64_t{0}) != offset ||
      report.record.contains("lifecycle"))
    return base::make_error(
        fmt::format("there is no transaction at offset {} (a start, publish or removal is not one)",
                    offset),
        base::ErrorCode::NotFound);
  ReplayOptions options;
  options.verify = true;
  options.verify_from = offset;
  options.until = offset;
  options.on_module_log = [&](uint64_t at, const runtime::LogRecord& line) {
    if (at == offset) report.logs.push_back(line);
  };
  auto replayed = replay_log(env, data_dir, options);
  if (!replayed) return replayed.take_error();
  report.divergence = replayed->divergence;
  auto read = storage::TransactionLog::read(env, data_dir / "log", offset + 1,
                                            [&](uint64_t at, std::span<const uint8_t> payload) {
                                              auto r = storage::decode_tx_record(payload);
                                              if (r && r->parent == offset)
                                                report.children.push_back(at);
                                              return at <= offset + 100'000;
                                            });
  if (!read) return read.take_error();
  return report;
}

}  // namespace interstice::node
