// The rows of scheduled tables (abi::ScheduleDef): reading a row's
// ScheduleAt, and the writes that a firing makes to its row before the
// reducer runs (docs/sdk.md, "Schedules").
#pragma once

#include <optional>
#include <string>

#include "abi/schedule.h"
#include "runtime/table.h"
#include "runtime/transaction.h"

namespace interstice::runtime {

// The ScheduleAt of `row`, a row of the scheduled table `table`; nullopt if
// the table is not scheduled or the row does not split.
std::optional<abi::ScheduleAt> schedule_of(const Table& table, ByteView row);

// The firing of `row` (due now) in `tx`: the row moves to `next_us`, or,
// with `next_us` 0, is deleted. Empty, or why it could not be done.
std::string advance_schedule(const std::string& module, Table& table, ByteView row, int64_t next_us,
                             Transaction& tx);

}  // namespace interstice::runtime
