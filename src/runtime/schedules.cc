#include "runtime/schedules.h"

#include <fmt/format.h>

#include <vector>

#include "abi/serialize.h"

namespace interstice::runtime {

std::optional<abi::ScheduleAt> schedule_of(const Table& table, ByteView row) {
  if (table.def().schedule.empty()) return std::nullopt;
  std::vector<ByteView> columns;
  if (!table.layout().split(row, &columns).empty()) return std::nullopt;
  uint32_t column = table.def().schedule[0].column;
  if (column >= columns.size()) return std::nullopt;
  return abi::from_bytes<abi::ScheduleAt>(columns[column]);
}

std::string advance_schedule(const std::string& module, Table& table, ByteView row, int64_t next_us,
                             Transaction& tx) {
  std::vector<ByteView> columns;
  if (std::string why = table.layout().split(row, &columns); !why.empty()) return why;
  const abi::TableDef& def = table.def();
  std::string problem;
  abi::Status status;
  if (next_us == 0) {
    status = tx.remove(module, table, columns[def.primary_key], &problem);
  } else {
    auto at = abi::from_bytes<abi::ScheduleAt>(columns[def.schedule[0].column]);
    if (!at) return "its schedule does not decode";
    at->at_us = next_us;
    Bytes moved_at = abi::to_bytes(*at);
    Bytes moved;
    for (uint32_t c = 0; c < columns.size(); ++c) {
      ByteView value = c == def.schedule[0].column ? ByteView(moved_at) : columns[c];
      moved.insert(moved.end(), value.begin(), value.end());
    }
    status = tx.update(module, table, std::move(moved), &problem);
  }
  if (status == abi::Status::Ok) return {};
  return fmt::format(
      "its row of {} could not be {}: {}", table.name(),
      next_us == 0 ? "deleted" : "moved to its next time",
      problem.empty() ? fmt::format("status {}", static_cast<int>(status)) : problem);
}

}  // namespace interstice::runtime
