#include "node/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace interstice::node {

namespace {

// Seconds: 10 µs to 10 s (reducer calls, acknowledgements, fsyncs).
constexpr std::array<double, 13> kSecondsBounds{1e-5, 5e-5,   1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
                                                1e-2, 2.5e-2, 5e-2, 0.1,  1,    10};
// Records per fsync'd batch.
constexpr std::array<double, 10> kBatchBounds{1, 2, 4, 8, 16, 64, 256, 1024, 4096, 16384};

// A label value, escaped as the text format wants (\\, \", \n).
std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  if (labels.empty())
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) {
  size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                      bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? fmt::format("{}", bounds_[i]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix, le,
                   cumulative);
  }
  // _count is the +Inf bucket, so the two always agree within one scrape.
  sample(out, std::string(name) + "_sum", labels, sum_.load(std::memory_order_relaxed));
  sample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

struct NodeMetrics::ReducerSeries {
  std::string module;
  std::string reducer;
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> fuel{0};
  Histogram seconds{kSecondsBounds};
  ModuleMemory* memory = nullptr;  // its module's (memory_), shared by its reducers
};

NodeMetrics::NodeMetrics()
    : outside_latency_(kSecondsBounds),
      peer_latency_(kSecondsBounds),
      peer_query_latency_(kSecondsBounds),
      fsync_seconds_(kSecondsBounds),
      batch_records_(kBatchBounds) {}

NodeMetrics::~NodeMetrics() = default;

NodeMetrics::ReducerSeries& NodeMetrics::series(const std::string& module,
                                                const std::string& reducer) {
  thread_local std::string key;  // no allocation per call once it is big enough
  key.assign(module).append("\n").append(reducer);
  base::MutexLock lock(mutex_);
  auto found = reducers_.find(key);
  if (found != reducers_.end()) return *found->second;
  auto made = std::make_unique<ReducerSeries>();
  made->module = module;
  made->reducer = reducer;
  std::unique_ptr<ModuleMemory>& memory = memory_[module];
  if (!memory) memory = std::make_unique<ModuleMemory>();
  made->memory = memory.get();
  ReducerSeries& series = *made;
  reducers_.emplace(key, std::move(made));
  return series;
}

void NodeMetrics::reducer_call(const runtime::CallObservation& call) {
  ReducerSeries& s = series(call.module, call.reducer);
  (call.ok ? s.ok : s.failed).fetch_add(1, std::memory_order_relaxed);
  s.fuel.fetch_add(call.fuel, std::memory_order_relaxed);
  s.seconds.observe(std::chrono::duration<double>(call.ended - call.started).count());
  s.memory->linear.store(call.linear_memory, std::memory_order_relaxed);
  s.memory->tables.store(call.table_bytes, std::memory_order_relaxed);
}

void NodeMetrics::outside_call(Outcome outcome, std::chrono::steady_clock::duration took) {
  outside_calls_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  outside_latency_.observe(std::chrono::duration<double>(took).count());
}

void NodeMetrics::peer_call(bool query, bool ok, std::chrono::steady_clock::duration took) {
  (query ? peer_queries_ : peer_calls_)[ok ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
  (query ? peer_query_latency_ : peer_latency_)
      .observe(std::chrono::duration<double>(took).count());
}

void NodeMetrics::log_flush(const storage::LogFlush& flush) {
  if (!flush.ok) {
    fsync_failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  fsync_seconds_.observe(std::chrono::duration<double>(flush.synced - flush.written).count());
  batch_records_.observe(static_cast<double>(flush.records));
  fsync_bytes_.fetch_add(flush.bytes, std::memory_order_relaxed);
}

std::string NodeMetrics::render(const NodeGauges& g) const {
  std::string out;
  auto load = [](const std::atomic<uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  std::vector<const ReducerSeries*> reducers;
  std::vector<std::pair<std::string, const ModuleMemory*>> memory;
  {
    base::MutexLock lock(mutex_);
    for (const auto& [key, s] : reducers_) reducers.push_back(s.get());
    for (const std::string& module : g.modules)
      if (auto it = memory_.find(module); it != memory_.end())
        memory.emplace_back(module, it->second.get());
  }
  std::sort(reducers.begin(), reducers.end(), [](const ReducerSeries* a, const ReducerSeries* b) {
    return std::tie(a->module, a->reducer) < std::tie(b->module, b->reducer);
  });
  auto labels_of = [](const ReducerSeries& s) {
    return fmt::format("module=\"{}\",reducer=\"{}\"", escape(s.module), escape(s.reducer));
  };

  header(out, "interstice_reducer_calls_total", "counter",
         "Reducer calls that ran (clients', peers' and triggered ones), by outcome: ok "
         "(committed) or failed (an error, a trap or out of fuel: rolled back).");
  for (const ReducerSeries* s : reducers) {
    sample(out, "interstice_reducer_calls_total", labels_of(*s) + ",outcome=\"ok\"", load(s->ok));
    sample(out, "interstice_reducer_calls_total", labels_of(*s) + ",outcome=\"failed\"",
           load(s->failed));
  }
  header(out, "interstice_reducer_fuel_total", "counter",
         "Fuel the reducer's calls used (0 with fuel metering off).");
  for (const ReducerSeries* s : reducers)
    sample(out, "interstice_reducer_fuel_total", labels_of(*s), load(s->fuel));
  header(out, "interstice_reducer_duration_seconds", "histogram",
         "A reducer call from its start to its commit (or rollback), on its executor.");
  for (const ReducerSeries* s : reducers)
    s->seconds.render(out, "interstice_reducer_duration_seconds", labels_of(*s));

  header(
      out, "interstice_outside_calls_total", "counter",
      "Calls from clients (HTTP, WebSocket), by answer: ok (durable), refused (no such module or "
      "reducer, bad arguments, not allowed) or failed (the reducer failed or the log could "
      "not record it).");
  constexpr std::array<const char*, 3> kOutcomes{"ok", "refused", "failed"};
  for (size_t i = 0; i < kOutcomes.size(); ++i)
    sample(out, "interstice_outside_calls_total", fmt::format("outcome=\"{}\"", kOutcomes[i]),
           load(outside_calls_[i]));
  header(out, "interstice_outside_call_duration_seconds", "histogram",
         "An outside call from its arrival at the node to its answer (after its fsync).");
  outside_latency_.render(out, "interstice_outside_call_duration_seconds", "");

  // A counter by outcome (counts: failed, ok), and its latency histogram.
  auto answered = [&](const char* total, const char* help, const auto& counts, const char* duration,
                      const char* duration_help, const Histogram& latency) {
    header(out, total, "counter", help);
    sample(out, total, "outcome=\"ok\"", load(counts[1]));
    sample(out, total, "outcome=\"failed\"", load(counts[0]));
    header(out, duration, "histogram", duration_help);
    latency.render(out, duration, "");
  };
  answered("interstice_peer_calls_total",
           "Reducer calls from other nodes, by answer: ok (durable) or failed (refused, failed, "
           "or not recorded).",
           peer_calls_, "interstice_peer_call_duration_seconds",
           "A peer's reducer call from its arrival to its answer (after its fsync).",
           peer_latency_);
  answered("interstice_peer_queries_total",
           "Queries from other nodes, by answer: ok (a value) or failed (refused or failed).",
           peer_queries_, "interstice_peer_query_duration_seconds",
           "A peer's query from its arrival to its answer.", peer_query_latency_);

  header(out, "interstice_log_last_offset", "gauge", "The offset of the last logged record.");
  sample(out, "interstice_log_last_offset", "", static_cast<double>(g.log_last_offset));
  header(out, "interstice_log_durable_offset", "gauge", "The last offset known to be on disk.");
  sample(out, "interstice_log_durable_offset", "", static_cast<double>(g.log_durable_offset));
  header(out, "interstice_log_written_bytes_total", "counter",
         "Bytes appended to the log since the node started (records and their headers).");
  sample(out, "interstice_log_written_bytes_total", "", static_cast<double>(g.log_bytes_written));
  header(out, "interstice_log_fsync_duration_seconds", "histogram",
         "The fsync of one batch of log records (Sync and Group durability).");
  fsync_seconds_.render(out, "interstice_log_fsync_duration_seconds", "");
  header(out, "interstice_log_fsync_batch_records", "histogram", "Records per fsync'd batch.");
  batch_records_.render(out, "interstice_log_fsync_batch_records", "");
  header(out, "interstice_log_fsync_failures_total", "counter",
         "Batches whose write or fsync failed (the log refuses appends until it recovers).");
  sample(out, "interstice_log_fsync_failures_total", "", load(fsync_failures_));

  header(out, "interstice_executor_queue_depth", "gauge",
         "Tasks (calls, events) waiting for each executor.");
  for (size_t i = 0; i < g.executor_queues.size(); ++i)
    sample(out, "interstice_executor_queue_depth", fmt::format("executor=\"{}\"", i),
           static_cast<double>(g.executor_queues[i]));
  header(out, "interstice_acknowledgements_waiting", "gauge",
         "Answers waiting for their transaction to be durable.");
  sample(out, "interstice_acknowledgements_waiting", "",
         static_cast<double>(g.acknowledgements_waiting));

  header(out, "interstice_module_memory_bytes", "gauge",
         "Each loaded module's memory after its last call: its linear memory and its tables.");
  for (const auto& [module, m] : memory) {
    sample(out, "interstice_module_memory_bytes",
           fmt::format("module=\"{}\",kind=\"linear\"", escape(module)), load(m->linear));
    sample(out, "interstice_module_memory_bytes",
           fmt::format("module=\"{}\",kind=\"tables\"", escape(module)), load(m->tables));
  }

  header(out, "interstice_peers_connected", "gauge", "Other nodes connected to this one.");
  sample(out, "interstice_peers_connected", "", static_cast<double>(g.peers_connected));
  header(out, "interstice_links", "gauge", "This node's links to other nodes, by state.");
  sample(out, "interstice_links", "state=\"connected\"", static_cast<double>(g.links_connected));
  sample(out, "interstice_links", "state=\"down\"", static_cast<double>(g.links_down));
  header(out, "interstice_link_queued_calls", "gauge",
         "Calls to other nodes waiting to be sent, over all links.");
  sample(out, "interstice_link_queued_calls", "", static_cast<double>(g.link_queued_calls));
  header(out, "interstice_client_subscriptions", "gauge", "Clients' live SQL subscriptions.");
  sample(out, "interstice_client_subscriptions", "", static_cast<double>(g.client_subscriptions));
  return out;
}

}  // namespace interstice::node
