// NodeMetrics: the node's counters and histograms, which GET /metrics serves
// in Prometheus' text format (docs/observability.md lists them). The parts
// that report into it: the runtime (every reducer call), the outside calls
// (arrival to acknowledgement) and the log writer (every fsync'd batch);
// gauges the node reads at scrape time (NodeGauges).
//
// Threading: every method may be called from any thread. Updates are
// relaxed atomics, plus one mutex'd map lookup per reducer call (the
// per-reducer series).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "runtime/runtime.h"
#include "storage/transaction_log.h"

namespace interstice::node {

// A Prometheus histogram with fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);
  // Its _bucket, _sum and _count lines; `labels` is empty or `a="b",c="d"`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // not cumulative; the last is +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// What the node reads at scrape time.
struct NodeGauges {
  uint64_t log_last_offset = 0;
  uint64_t log_durable_offset = 0;
  uint64_t log_bytes_written = 0;
  std::vector<size_t> executor_queues;  // tasks waiting, by executor
  size_t acknowledgements_waiting = 0;  // calls waiting for their offset to be durable
  std::vector<std::string> modules;     // loaded now (memory is shown for these)
  size_t peers_connected = 0;           // other nodes connected here
  size_t links_connected = 0;           // this node's links to others
  size_t links_down = 0;
  size_t link_queued_calls = 0;
  size_t client_subscriptions = 0;
};

class NodeMetrics {
 public:
  NodeMetrics();
  ~NodeMetrics();

  // Every reducer call (RuntimeOptions::on_call_end), with the module's
  // memory after it.
  void reducer_call(const runtime::CallObservation& call) EXCLUDES(mutex_);
  // An outside call (HTTP, WebSocket, a peer) from its arrival to its answer.
  enum class Outcome { Ok, Refused, Failed };
  void outside_call(Outcome outcome, std::chrono::steady_clock::duration took);
  // A peer's reducer call (ok: durable) or query (ok: answered with a value)
  // from its arrival to its answer.
  void peer_call(bool query, bool ok, std::chrono::steady_clock::duration took);
  // A batch the log writer wrote and fsync'd.
  void log_flush(const storage::LogFlush& flush);

  // The text format (version 0.0.4).
  std::string render(const NodeGauges& gauges) const EXCLUDES(mutex_);

 private:
  struct ReducerSeries;
  struct ModuleMemory {
    std::atomic<uint64_t> linear{0};
    std::atomic<uint64_t> tables{0};
  };
  // The series of `module.reducer` (created on its first call).
  ReducerSeries& series(const std::string& module, const std::string& reducer) EXCLUDES(mutex_);

  mutable base::Mutex mutex_;
  // By "module\nreducer" and module name; values are never removed, so the
  // references handed out stay valid.
  std::unordered_map<std::string, std::unique_ptr<ReducerSeries>> reducers_ GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::unique_ptr<ModuleMemory>> memory_ GUARDED_BY(mutex_);

  std::array<std::atomic<uint64_t>, 3> outside_calls_{};  // by Outcome
  Histogram outside_latency_;
  std::array<std::atomic<uint64_t>, 2> peer_calls_{};  // failed, ok
  Histogram peer_latency_;
  std::array<std::atomic<uint64_t>, 2> peer_queries_{};  // failed, ok
  Histogram peer_query_latency_;
  std::atomic<uint64_t> fsync_failures_{0};
  Histogram fsync_seconds_;
  Histogram batch_records_;
  std::atomic<uint64_t> fsync_bytes_{0};
};

}  // namespace interstice::node
