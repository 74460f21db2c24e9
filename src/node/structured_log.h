// Structured logging for the node (`start --log-format`, DATA_DIR/logs,
// GET /logs): every log line as fields (time, level, module, reducer,
// message), written as JSON lines, and the last lines kept in memory for
// `interstice logs`.
//
// A module's line reaches spdlog as "[module::reducer] message" (the
// runtime's log sink); parse_log_line takes the two names back out, so that
// every sink sees the same fields.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace interstice::node {

struct LogLine {
  uint64_t seq = 0;     // 1, 2, ... in the order the node logged them
  int64_t time_us = 0;  // since the epoch
  std::string level;    // "trace", "debug", "info", "warning", "error", "critical"
  std::string module;   // empty for the node's own lines
  std::string reducer;  // empty outside a reducer
  std::string message;
  uint64_t offset = 0;  // a module line's transaction's log offset (0: none)
};

// Microseconds since the epoch as UTC, "2026-12-04T13:11:39.462153Z" (log
// lines, and `log inspect`'s transaction times).
std::string utc_time(int64_t micros);
// The fields of one spdlog message (seq left 0).
LogLine parse_log_line(const spdlog::details::log_msg& msg);
// {"time": "2026-12-04T13:11:39.462153Z", "level", ["module", "reducer",
// "offset"], "message"}.
std::string log_line_json(const LogLine& line);
// The rank of a level name (trace 0 .. critical 5), or nullopt for a name
// that is none ("warn" and "err" are accepted too).
std::optional<int> log_level_rank(const std::string& name);

// Formats every message as one JSON line (log_line_json).
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// A sink that keeps the last lines in memory, bounded by count and bytes,
// for GET /logs. Thread-safe (spdlog calls it under its own mutex; readers
// take it too).
class LogBook : public spdlog::sinks::base_sink<std::mutex> {
 public:
  LogBook(size_t max_lines, size_t max_bytes) : max_lines_(max_lines), max_bytes_(max_bytes) {}

  struct Filter {
    std::string module;  // empty: every module and the node's own lines
    int min_level = 0;   // log_level_rank
  };
  // The lines after `after` that pass `filter`, at most `limit`, and the
  // seq to ask after next time.
  std::vector<LogLine> after(uint64_t after, const Filter& filter, size_t limit, uint64_t* next);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  const size_t max_lines_;
  const size_t max_bytes_;
  std::deque<LogLine> lines_;  // guarded by base_sink's mutex_
  size_t bytes_ = 0;           // of the messages in lines_
  uint64_t last_seq_ = 0;
};

}  // namespace interstice::node
