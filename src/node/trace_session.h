// TraceSession: GET /trace's recording. One trace at a time: it records for
// the asked duration on a thread of its own (no HTTP thread waits), then
// hands the trace to the request's answer.
//
// Threading: record() from any thread; `done` runs on the session's thread.
// The destructor ends a recording under way at once (its answer holds what
// was recorded so far) and joins the thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "base/mutex.h"
#include "node/tracer.h"

namespace interstice::node {

class TraceSession {
 public:
  explicit TraceSession(Tracer& tracer) : tracer_(tracer) {}
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  // Starts recording for `duration`, then calls `done` with the trace;
  // false (and `done` not called) if a trace is already being recorded.
  bool record(std::chrono::milliseconds duration, std::function<void(nlohmann::json)> done)
      EXCLUDES(mutex_);

 private:
  Tracer& tracer_;
  base::Mutex mutex_;
  base::CondVar stop_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_ GUARDED_BY(mutex_);  // the last recording's; joined before the next
};

}  // namespace interstice::node
