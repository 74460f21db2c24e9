#include "node/structured_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "runtime/log_record.h"

namespace interstice::node {
namespace {

constexpr const char* kLevelNames[] = {"trace", "debug", "info", "warning", "error", "critical"};

}  // namespace

std::string utc_time(int64_t micros) {
  int64_t seconds = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros - seconds * 1000000);
}

LogLine parse_log_line(const spdlog::details::log_msg& msg) {
  LogLine line;
  line.time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
  int level = std::clamp(static_cast<int>(msg.level), 0, 5);
  line.level = kLevelNames[level];
  std::string_view text(msg.payload.data(), msg.payload.size());
  // "[module::reducer] message" or "[module] message", from a module.
  size_t close = text.find("] ");
  if (text.starts_with('[') && close != std::string_view::npos) {
    std::string_view where = text.substr(1, close - 1);
    bool name = !where.empty() && where.find_first_of(" []") == std::string_view::npos;
    if (name) {
      size_t colons = where.find("::");
      line.module = std::string(where.substr(0, colons));
      if (colons != std::string_view::npos) line.reducer = std::string(where.substr(colons + 2));
      text.remove_prefix(close + 2);
      line.offset = runtime::logging_offset();  // (set on this thread by the runtime's sink)
    }
  }
  line.message = std::string(text);
  return line;
}

std::string log_line_json(const LogLine& line) {
  nlohmann::ordered_json j{{"time", utc_time(line.time_us)}, {"level", line.level}};
  if (!line.module.empty()) j["module"] = line.module;
  if (!line.reducer.empty()) j["reducer"] = line.reducer;
  if (line.offset != 0) j["offset"] = line.offset;
  j["message"] = line.message;
  // Invalid UTF-8 in a message must not throw: it is replaced.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<int> log_level_rank(const std::string& name) {
  for (int i = 0; i < 6; ++i)
    if (name == kLevelNames[i]) return i;
  if (name == "warn") return 3;
  if (name == "err") return 4;
  return std::nullopt;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string json = log_line_json(parse_log_line(msg));
  dest.append(json.data(), json.data() + json.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void LogBook::sink_it_(const spdlog::details::log_msg& msg) {
  LogLine line = parse_log_line(msg);
  line.seq = ++last_seq_;
  bytes_ += line.message.size();
  lines_.push_back(std::move(line));
  while (!lines_.empty() && (lines_.size() > max_lines_ || bytes_ > max_bytes_)) {
    bytes_ -= lines_.front().message.size();
    lines_.pop_front();
  }
}

std::vector<LogLine> LogBook::after(uint64_t after, const Filter& filter, size_t limit,
                                    uint64_t* next) {
  std::lock_guard lock(mutex_);
  std::vector<LogLine> out;
  *next = after;
  for (const LogLine& line : lines_) {
    if (line.seq <= after) continue;
    if (out.size() >= limit) break;
    *next = line.seq;
    if (!filter.module.empty() && line.module != filter.module) continue;
    if (log_level_rank(line.level).value_or(0) < filter.min_level) continue;
    out.push_back(line);
  }
  return out;
}

}  // namespace interstice::node
