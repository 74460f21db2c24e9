// LogRecord: a line a module logs, as the runtime passes it to its log sink
// (RuntimeOptions::log_sink).
#pragma once

#include <cstdint>
#include <string>

#include "abi/host_calls.h"

namespace interstice::runtime {

// A line a module logs. A reducer's lines are held until its transaction
// commits (or fails), then passed on with its log offset.
struct LogRecord {
  abi::LogLevel level;
  std::string module;
  std::string reducer;  // empty outside a reducer
  std::string message;
  uint64_t offset = 0;  // its transaction's log offset; 0: none (failed, a query, not logged)
};

// While the default log sink passes a module's line to spdlog: its offset
// (LogRecord::offset), for the structured log's sinks on the same thread; 0
// otherwise.
uint64_t logging_offset();

}  // namespace interstice::runtime
