// Tracer: spans of what the node does, kept only while a trace is being
// recorded (GET /trace, `interstice trace`, `replay --trace`), and written as
// the Chrome trace-event JSON that ui.perfetto.dev and chrome://tracing open
// (docs/observability.md).
//
// A span is a complete event on the track of the thread that ran it (an
// executor's reducers and commits, the log writer's writes and fsyncs, a
// peer link's sends), or an async event on its own track (an outside call,
// from its arrival to its acknowledgement), so that overlapping calls do not
// have to nest.
//
// Threading: any thread may add spans. on() is one relaxed atomic load: with
// no trace being recorded, that load is all a traced site costs.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "runtime/runtime.h"

namespace interstice::node {

class Tracer {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // At most `max_spans` spans per trace; the rest are counted as dropped.
  explicit Tracer(size_t max_spans = 200'000) : max_spans_(max_spans) {}

  bool on() const { return on_.load(std::memory_order_relaxed); }
  // Starts recording; false if a trace is already being recorded.
  bool start() EXCLUDES(mutex_);
  // Stops recording and returns the trace: {"traceEvents": [...],
  // "displayTimeUnit": "ms", "otherData": {"spans", "dropped"}}, with
  // times in microseconds since start().
  nlohmann::json stop() EXCLUDES(mutex_);

  // A span of `category` ("reducer", "log", "call", "network",
  // "subscription") on this thread's track. `args` is a JSON object or null.
  void add(const char* category, std::string name, Time start, Time end,
           nlohmann::json args = nullptr) EXCLUDES(mutex_);
  // A span on a track of its own (ids are unique per trace).
  void add_async(const char* category, std::string name, Time start, Time end,
                 nlohmann::json args = nullptr) EXCLUDES(mutex_);

  // The spans of one reducer call: the reducer (with its fuel, rows changed,
  // privileged host calls and calls made), its timed table operations and
  // privileged host calls (inside it), and, if it committed, its commit.
  // `extra` (an object or null) joins the reducer span's args.
  void add_call(const runtime::CallObservation& call, const nlohmann::json& extra = nullptr);

 private:
  struct Span {
    const char* category;
    std::string name;
    Time start;
    Time end;
    uint32_t thread;  // 0 for an async span
    uint64_t async_id;
    nlohmann::json args;
  };
  void push(Span span) EXCLUDES(mutex_);

  const size_t max_spans_;
  std::atomic<bool> on_{false};
  base::Mutex mutex_;
  bool recording_ GUARDED_BY(mutex_) = false;
  Time origin_ GUARDED_BY(mutex_);
  std::vector<Span> spans_ GUARDED_BY(mutex_);
  uint64_t dropped_ GUARDED_BY(mutex_) = 0;
  uint64_t next_async_id_ GUARDED_BY(mutex_) = 1;
  std::map<uint32_t, std::string> thread_names_ GUARDED_BY(mutex_);  // by track
};

}  // namespace interstice::node
