#include "node/tracer.h"

#include <fmt/format.h>
#include <pthread.h>

#include <utility>

#include "abi/trigger.h"

namespace interstice::node {

namespace {

// A small number per thread, for its track (Perfetto's "tid").
uint32_t this_thread_track() {
  static std::atomic<uint32_t> next{1};
  thread_local uint32_t track = next.fetch_add(1);
  return track;
}

std::string this_thread_name() {
  char name[32] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0 || name[0] == 0) return "thread";
  return name;
}

// Microseconds, to the nanosecond (what the trace format expects).
double micros_since(Tracer::Time origin, Tracer::Time at) {
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(at - origin).count()) /
         1000.0;
}

}  // namespace

bool Tracer::start() {
  base::MutexLock lock(mutex_);
  if (recording_) return false;
  recording_ = true;
  origin_ = std::chrono::steady_clock::now();
  spans_.clear();
  dropped_ = 0;
  next_async_id_ = 1;
  thread_names_.clear();
  on_.store(true, std::memory_order_relaxed);
  return true;
}

nlohmann::json Tracer::stop() {
  std::vector<Span> spans;
  std::map<uint32_t, std::string> names;
  uint64_t dropped;
  Time origin;
  {
    base::MutexLock lock(mutex_);
    on_.store(false, std::memory_order_relaxed);
    recording_ = false;
    spans.swap(spans_);
    names.swap(thread_names_);
    dropped = dropped_;
    origin = origin_;
  }
  nlohmann::json events = nlohmann::json::array();
  events.push_back(
      {{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", "interstice"}}}});
  for (const auto& [track, name] : names)
    events.push_back({{"ph", "M"},
                      {"pid", 1},
                      {"tid", track},
                      {"name", "thread_name"},
                      {"args", {{"name", name}}}});
  for (Span& s : spans) {
    double start = micros_since(origin, s.start);
    double end = micros_since(origin, s.end);
    if (s.thread != 0) {
      nlohmann::json e{{"ph", "X"},
                       {"pid", 1},
                       {"tid", s.thread},
                       {"cat", s.category},
                       {"name", s.name},
                       {"ts", start},
                       {"dur", micros_since(s.start, s.end)}};
      if (!s.args.is_null()) e["args"] = std::move(s.args);
      events.push_back(std::move(e));
      continue;
    }
    nlohmann::json begin{{"ph", "b"},      {"pid", 1},         {"cat", s.category},
                         {"name", s.name}, {"id", s.async_id}, {"ts", start}};
    if (!s.args.is_null()) begin["args"] = std::move(s.args);
    events.push_back(std::move(begin));
    events.push_back({{"ph", "e"},
                      {"pid", 1},
                      {"cat", s.category},
                      {"name", s.name},
                      {"id", s.async_id},
                      {"ts", end}});
  }
  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData", {{"spans", spans.size()}, {"dropped", dropped}}}};
}

void Tracer::push(Span span) {
  base::MutexLock lock(mutex_);
  if (!recording_) return;
  if (spans_.size() >= max_spans_) {
    ++dropped_;
    return;
  }
  if (span.thread != 0) {
    if (!thread_names_.contains(span.thread)) thread_names_[span.thread] = this_thread_name();
  } else {
    span.async_id = next_async_id_++;
  }
  spans_.push_back(std::move(span));
}

void Tracer::add(const char* category, std::string name, Time start, Time end,
                 nlohmann::json args) {
  if (!on()) return;
  push(Span{category, std::move(name), start, end, this_thread_track(), 0, std::move(args)});
}

void Tracer::add_async(const char* category, std::string name, Time start, Time end,
                       nlohmann::json args) {
  if (!on()) return;
  push(Span{category, std::move(name), start, end, 0, 0, std::move(args)});
}

void Tracer::add_call(const runtime::CallObservation& call, const nlohmann::json& extra) {
  if (!on()) return;
  std::string trigger = call.trigger.to_string();
  nlohmann::json args{{"fuel", call.fuel},
                      {"rows_changed", call.rows_changed},
                      {"host_calls", call.host_results},
                      {"calls_made", call.calls_made},
                      {"trigger", trigger.empty() ? "call" : trigger},
                      {"ok", call.ok}};
  if (extra.is_object()) args.update(extra);
  add("reducer", call.module + "." + call.reducer, call.started, call.ran, std::move(args));
  if (call.host_call_times)  // within the reducer's span, on its track
    for (const auto& host : *call.host_call_times) {
      if (host.table)
        add("table", fmt::format("{} {}", host.operation, host.table->name()), host.start,
            host.end);
      else
        add("host", std::string(host.operation), host.start, host.end);
    }
  if (call.ok) add("log", "commit", call.ran, call.ended);
}

}  // namespace interstice::node
