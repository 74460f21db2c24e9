// Runtime: the modules of one node, their tables, reducer calls as
// transactions, and the subscriptions that react to committed changes.
//
// Determinism: a reducer observes only its arguments, its tables, and the
// transaction's recorded inputs (timestamp from the injected clock, random
// seed derived from the node seed and the transaction number). Calls run one
// at a time in a total order:
//   1. the call that was asked for;
//   2. when it commits, the calls it made to other reducers (call_reducer) are
//      queued in the order made, then the reducers its changes trigger: for
//      each change in write order, each subscribing module in load order, and
//      within a module its subscriptions in declaration order;
//   3. the queue runs in FIFO order; each call may queue more at its end.
// A failed call (error, trap, out of fuel) rolls back and triggers nothing.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "abi/host_calls.h"
#include "abi/trigger.h"
#include "engine/engine.h"
#include "engine/result.h"
#include "runtime/authorities.h"
#include "runtime/loaded_module.h"
#include "runtime/log_record.h"
#include "runtime/publish_plan.h"

namespace interstice::runtime {

using base::Error;
using base::Result;

// A transaction about to commit, as the storage layer records it. Effects
// leave out ephemeral tables.
struct CommittedTransaction {
  const std::string& module;
  const std::string& reducer;
  const Bytes& args;
  const TransactionInputs& inputs;
  const abi::Trigger& trigger;  // what started it
  std::vector<const TableEvent*> effects;
  const std::vector<RemoteCall>& remote_calls;  // sent once it commits
  // The log offset of the transaction whose commit queued this one (its
  // ctx.call, or a change its subscription reacts to); 0 for none (a call
  // from outside, an event, a schedule). For tools (graph, tx), not replay.
  uint64_t parent = 0;
};

// One reducer call as it ran (RuntimeOptions::on_call_end), for metrics and
// traces: wall-clock figures that no reducer ever sees.
struct CallObservation {
  using Time = std::chrono::steady_clock::time_point;
  const std::string& module;
  const std::string& reducer;
  const abi::Trigger& trigger;
  Time started;             // before its arguments were copied into the module
  Time ran;                 // the reducer returned (or trapped); `ended` unless traced
                            // (RuntimeOptions::time_host_calls)
  Time ended;               // committed (recorded by on_commit) or rolled back
  uint64_t fuel = 0;        // what its wasm calls used (0 with fuel off)
  size_t rows_changed = 0;  // table operations that changed a row
  size_t host_results = 0;  // privileged host calls (recorded results)
  size_t calls_made = 0;    // ctx.call and call_node requests
  // When each table operation and privileged host call ran, if they were
  // timed (RuntimeOptions::time_host_calls; at most kMaxTimedHostCalls).
  const std::vector<LoadedModule::HostCallTime>* host_call_times = nullptr;
  bool ok = false;
  // The module's memory after the call: its linear memory, and the bytes its
  // tables hold (TableMemory).
  uint64_t linear_memory = 0;
  uint64_t table_bytes = 0;
};

// Where a call comes from, for the access rules of abi::ReducerKind.
enum class CallOrigin {
  Node,     // the node itself: init, subscriptions, callbacks, replay, tools
  Module,   // another reducer's ctx.call
  Outside,  // an HTTP client or a peer
};

// What every part of one cascade draws from, wherever it runs: a cascade
// whose calls run on several executors is bounded as a whole.
struct CascadeBudget {
  std::atomic<size_t> admitted{0};  // calls run or waiting to run (max_triggered_calls)
  std::atomic<uint64_t> fuel{0};    // fuel its triggered calls used (max_cascade_fuel)
  std::atomic<size_t> bytes{0};     // bytes its waiting calls hold (max_cascade_bytes)
};

// A triggered call for a module that another executor runs: handed over as a
// message (RuntimeOptions::forward) and run there by Runtime::run_forwarded.
// By name, not pointer: the module may be replaced or unloaded meanwhile.
struct ForwardedCall {
  std::string module;
  std::string reducer;
  Bytes args;
  std::string caller;
  abi::Trigger trigger;
  std::shared_ptr<CascadeBudget> budget;
  uint64_t parent = 0;  // CommittedTransaction::parent
};

// Ten calls' worth of the node's default --fuel (1e9 a call).
inline constexpr uint64_t kDefaultCascadeFuel = 10'000'000'000;

struct RuntimeOptions {
  engine::EngineConfig engine;     // fuel_per_call is each reducer call's budget
  engine::InstanceLimits limits;   // per module instance
  std::function<int64_t()> clock;  // microseconds since the epoch; default: system clock
  uint64_t seed = 0;               // node seed for transaction random numbers
  std::function<void(const LogRecord&)> log_sink;  // default: spdlog
  // Bounds on what one module can make the node hold (docs/security.md).
  // A cascade is a requested call and everything it triggers: past either
  // bound the rest of its queue is dropped, with an error logged.
  size_t max_triggered_calls = 100'000;   // calls run per cascade
  size_t max_cascade_bytes = 256u << 20;  // bytes queued at once in a cascade (arguments, entries)
  // Fuel the calls a cascade triggers may use in all (each still gets at most
  // fuel_per_call): the call that reaches it traps out of fuel, and the rest
  // of the queue is dropped. Bounds how long one request keeps the runtime.
  uint64_t max_cascade_fuel = kDefaultCascadeFuel;
  size_t max_calls_per_transaction = 10'000;  // ctx.call + call_node; more get QuotaExceeded
  size_t max_call_bytes_per_transaction = 16u << 20;  // their argument bytes
  size_t max_table_memory = 1ull << 30;               // per module: TableMemory::limit
  size_t max_log_line_bytes = 4096;                   // longer lines (and fail messages) are cut
  uint32_t max_log_lines_per_second = 1000;  // per module; the rest are counted, not printed
  // The operator's policy: authorities a module may be granted at load. At
  // most one loaded module holds each.
  std::vector<abi::Authority> grantable;
  // A module requesting an authority that another holds: refused at load
  // (false), or loaded to wait for it (true); it gets the authority when the
  // holder is unloaded, in load order. Until then its calls get NotPermitted.
  bool wait_for_authorities = false;
  // Called for every transaction before it commits; an error rolls it back
  // (the log could not record it, so it did not happen). Returns the log
  // offset that records it (the parent of what it queues), or 0.
  std::function<Result<uint64_t>(const CommittedTransaction&)> on_commit;
  // Called (on the executor) after every reducer call, committed or not.
  // Unset: the runtime reads no clock for it.
  std::function<void(const CallObservation&)> on_call_end;
  // Asked (on the executor) before each reducer call: whether to time its
  // table operations and privileged host calls for on_call_end (while a
  // trace is recorded). Unset: they are never timed.
  std::function<bool()> time_host_calls;
  // Called with the remote calls of each committed transaction, to send them.
  std::function<void(std::vector<RemoteCall>)> on_remote_calls;
  // Called (on the executor) after a transaction that wrote a scheduled
  // table commits: the scheduler looks again.
  std::function<void()> on_schedule_change;
  // Checks a table's view (abi::TableDef::view) when its module loads:
  // empty if it is valid, else why not (the module is refused). Unset: views
  // are not checked.
  std::function<std::string(const Table&)> check_view;
  // The executors (threads) modules run on: each module is placed on one
  // (Runtime::executor_of), and only that executor may call into it. With
  // one, a call and everything it triggers run on the calling thread. With
  // more, a triggered call for a module of another executor is handed to
  // `forward`, which must deliver it to that executor's Runtime::run_forwarded
  // in the order handed over (docs/node.md, "Order and determinism").
  uint32_t executors = 1;
  std::function<void(uint32_t executor, ForwardedCall call)> forward;
  // Back-ends of the privileged host calls (authorities.h); null: Unavailable.
  std::shared_ptr<FileBackend> files;
  std::shared_ptr<GpuBackend> gpu;
  std::shared_ptr<AudioBackend> audio;
};

// Threading: calls into different modules may run at the same time on
// different threads, one thread per executor (call, fire, run_forwarded,
// table reads of that executor's modules). Everything that changes the set of
// modules or the authority policy (load, replace, unload, install, run_init,
// grant, revoke, apply, import_table, clear_table, export_tables) needs the
// runtime to itself: no call may run meanwhile. The caller (the node's
// executor pool) ensures both; the runtime takes no lock of its own.
class Runtime {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options);
  ~Runtime();

  // Validates, instantiates and registers a module, then runs its `init`
  // subscriptions (if `run_init`). Every refusal names the module and reason.
  Result<void> load(ByteView wasm, std::string_view source_name, bool run_init = true);
  // Runs a loaded module's `init` subscriptions (for callers that loaded it
  // with run_init = false). If init fails the module is unloaded.
  Result<void> run_init(std::string_view module);
  // Re-executes one logged transaction with its recorded inputs, as replay
  // --verify does: it commits like any call, but what it triggers is not run
  // (the log holds those transactions too). `effects` receives its changes.
  // `trigger` is the recorded one (a schedule's firing moves its row first).
  Result<void> replay_call(std::string_view module, std::string_view reducer, ByteView args,
                           const TransactionInputs& inputs, const abi::Trigger& trigger,
                           std::vector<TableEvent>* effects);
  // Asks `query` (a ReducerKind::Query) of `module` with `args` (its
  // encoded parameters) and returns its value, encoded as its result type.
  // Not a transaction: nothing is logged, and the query cannot write or
  // call. For clients (HTTP, CLI) and peers; on `module`'s executor. With a
  // `filter` (the reader's views), its reads see only what it lets through.
  Result<Bytes> query(std::string_view module, std::string_view query, ByteView args,
                      std::string_view caller, const RowFilter* filter = nullptr);
  // The query_call host call of a reducer of `caller`, inside its
  // transaction: the target must be on the same executor (a dependency),
  // and the query runs with the transaction's timestamp and a seed drawn
  // from its random stream, so replay asks it the same question.
  abi::Status query_from(LoadedModule& caller, std::string_view module, std::string_view query,
                         ByteView args, Bytes* value);
  // Fires the rows of the scheduled table `module.table` that are due at
  // `now_us` (at most kMaxFiringsPerScan), each in a transaction of its own
  // (abi::TriggerKind::Schedule), and returns when the table next needs a
  // look: its earliest future time, a second from now after a failed
  // firing (it is tried again then), now when rows are left over, or
  // nullopt when nothing is scheduled. On `module`'s executor.
  std::optional<int64_t> fire_due(std::string_view module, std::string_view table, int64_t now_us);
  static constexpr size_t kMaxFiringsPerScan = 1000;
  // Re-applies the committed effects of one logged transaction to `module`'s
  // tables, without executing anything (recovery). Updates auto_inc counters.
  Result<void> apply(std::string_view module, EventKind kind, std::string_view table, ByteView row);
  Result<void> unload(std::string_view module);
  // Replaces a loaded module with a new version of it (same name), carrying
  // each table's rows over as plan_publish says (kept, extended with
  // defaults, or migrated); refused, changing nothing, if the plan is or a
  // migration fails. `init` does not run again. The migrations run with
  // `migration` as their transaction's inputs (replay) or fresh ones, which
  // `*used` receives (to be logged).
  Result<void> replace(ByteView wasm, std::string_view source_name,
                       const TransactionInputs* migration = nullptr,
                       TransactionInputs* used = nullptr);
  // What publishing `wasm` would do to the loaded module of its name, or
  // that it would be a new module (publish_plan.h), without changing
  // anything: the wasm and its schema are checked as for loading it; its
  // init, if it is new, does not run. Its migrations, if any, run on a copy
  // that is thrown away, so a migration that would fail refuses the plan.
  Result<PublishPlan> plan_publish(ByteView wasm, std::string_view source_name);
  // The schema a module declares (checked with check_schema), without
  // loading it: for tools such as `interstice bindings`.
  Result<abi::ModuleSchema> read_schema(ByteView wasm, std::string_view source_name);
  // Loads `wasm` without running its init (the caller runs it, run_init),
  // or replaces the loaded module of the same name with it (see replace).
  // Returns the module's name, whether it replaced one, and the inputs its
  // migrations ran with.
  struct Installed {
    std::string module;
    bool replaced = false;
    TransactionInputs migration;
  };
  Result<Installed> install(ByteView wasm, std::string_view source_name);
  // Fresh inputs for a transaction the node starts (not a recorded one).
  TransactionInputs fresh_inputs(std::string caller = {});
  // The module holding `authority`, or empty.
  std::string authority_holder(abi::Authority authority) const;
  // Whether `module` holds `authority` now (privileged host calls check it).
  bool holds(const LoadedModule& module, abi::Authority authority) const;
  // The operator's policy, changed between transactions. grant allows the
  // authority and hands it to a loaded module that requested it (the first
  // in load order) if none holds it; revoke takes it away from its holder,
  // whose privileged calls then get NotPermitted, and refuses it at load.
  void grant(abi::Authority authority);
  void revoke(abi::Authority authority);
  const std::vector<abi::Authority>& grantable() const { return options_.grantable; }
  FileBackend* files() const { return options_.files.get(); }
  GpuBackend* gpu() const { return options_.gpu.get(); }
  AudioBackend* audio() const { return options_.audio.get(); }

  // Calls `module.reducer` with `args` (the parameters encoded as a tuple),
  // then runs everything it triggers. The result is the requested call's;
  // failures of triggered calls are logged.
  // `trigger` is recorded with the transaction (CommittedTransaction).
  // A reducer that `origin` may not call (check_access) is refused with a
  // message that says why, and runs nothing. Refusals carry their code:
  // NotFound (module, reducer), Forbidden (access), InvalidArgument (args);
  // a call that ran and failed is Failed.
  Result<void> call(std::string_view module, std::string_view reducer, ByteView args,
                    std::string_view caller = "", const abi::Trigger& trigger = {},
                    CallOrigin origin = CallOrigin::Node);
  // Ok, or NotPermitted when `origin` may not call `reducer` of `schema`
  // (see abi::ReducerKind); *why says so in words.
  static abi::Status check_access(const abi::ModuleSchema& schema, const abi::ReducerDef& reducer,
                                  CallOrigin origin, std::string* why = nullptr);

  // Runs the subscriptions to `event` of `module` (of every module, in load
  // order, if empty) with `args` (the reducer's parameters, encoded as a
  // tuple, checked against each reducer's parameter types), each as its own
  // transaction, then everything they trigger. For events from outside the
  // node: peer.connect, peer.disconnect, input, render, and a remote table's
  // Node.module.table.insert|update|delete. Failures are logged; returns how
  // many subscriptions ran.
  // `executor` is the executor whose thread this is (default: that of
  // `module`, or 0): subscribers of other executors' modules are forwarded.
  // `remote` is where a remote table's change stands in its node's log
  // (recorded in the trigger, so a subscriber knows where to resume).
  size_t fire(std::string_view module, const abi::EventName& event, ByteView args,
              std::string_view caller = "", std::optional<uint32_t> executor = std::nullopt,
              abi::RemotePosition remote = {});
  // Runs a call another executor forwarded (RuntimeOptions::forward), then
  // what it triggers; on the executor of the call's module. A call whose
  // module or reducer is gone since is dropped.
  void run_forwarded(ForwardedCall call);
  // The executor that runs `module`, if it is loaded. A module keeps its
  // executor when it is replaced.
  std::optional<uint32_t> executor_of(std::string_view module) const;

  // The rows of every non-ephemeral table, for snapshots (copied, in
  // primary-key order), and their restoration at recovery.
  struct TableImage {
    std::string module;
    std::string table;
    uint64_t auto_inc_next;
    std::vector<Bytes> rows;
  };
  std::vector<TableImage> export_tables() const;
  Result<void> import_table(const TableImage& image);
  // Empties a table and sets its auto_inc counter back to 1, so that
  // import_table and apply rebuild it exactly as at recovery (the node
  // undoes transactions its log failed to record this way).
  Result<void> clear_table(std::string_view module, std::string_view table);

  std::vector<std::string> module_names() const;
  const abi::ModuleSchema* schema(std::string_view module) const;
  const Table* table(std::string_view module, std::string_view table) const;
  uint64_t transaction_count() const { return transactions_.load(std::memory_order_relaxed); }
  engine::Engine& engine() { return *engine_; }

  // For host functions: a log record tagged with the module and reducer.
  void log(const LoadedModule& module, abi::LogLevel level, std::string message);
  // Passes on the lines held while a reducer ran, with its offset (0: none).
  void release_logs(const LoadedModule& module, uint64_t offset);
  // For call_reducer and call_node: Ok, or QuotaExceeded when `tx` cannot
  // queue another call of `arg_bytes` (max_calls_per_transaction and
  // max_call_bytes_per_transaction), with the reason logged once.
  abi::Status check_call_quota(const LoadedModule& module, const Transaction& tx, size_t arg_bytes);
  // A module's text as the node keeps it: cut to max_log_line_bytes.
  std::string bounded_text(std::string text) const;
  // For call_reducer: whether `module.reducer` exists, may be called by a
  // module, and takes `args`.
  abi::Status check_call(std::string_view module, std::string_view reducer, ByteView args) const;

 public:
  // A call waiting in the queue (for drain_queue's accounting).
  struct PendingCall {
    LoadedModule* module;
    uint32_t reducer;
    Bytes args;
    std::string caller;
    abi::Trigger trigger;
    const TransactionInputs* recorded = nullptr;  // replay: use these inputs
    std::vector<TableEvent>* capture = nullptr;   // replay: keep the effects, run nothing after
    // A triggered call's budget: at most what is left of its cascade's fuel
    // (0: the engine's fuel_per_call). What it used is added to *fuel_used.
    uint64_t fuel_budget = 0;
    uint64_t* fuel_used = nullptr;
    uint64_t parent = 0;  // CommittedTransaction::parent
  };

 private:
  explicit Runtime(RuntimeOptions options, std::shared_ptr<engine::Engine> engine);
  Result<std::unique_ptr<LoadedModule>> instantiate(ByteView wasm, std::string_view source_name);
  // A new instance of m's compiled module, initialized (_initialize) and with
  // m's alloc and reducer entry points pointed at it.
  Result<std::unique_ptr<engine::Instance>> fresh_instance(LoadedModule& m, std::string_view where);
  // Replaces m's instance after a trap (see run()).
  void restore_instance(LoadedModule& m);
  // Calls reducer `reducer` of `m` with `args` (its encoded parameters):
  // empty on success, otherwise why it failed ("reducer M.R trapped: ...").
  // *trapped says whether the instance must be replaced; `after_wasm_call`
  // runs after each call into the module (fuel accounting).
  std::string invoke(LoadedModule& m, uint32_t reducer, ByteView args, bool* trapped,
                     const std::function<void()>& after_wasm_call);
  Result<Bytes> run_query(LoadedModule& m, const abi::ReducerDef& def, ByteView args,
                          TransactionInputs inputs, const RowFilter* filter);
  Result<void> carry_over(const LoadedModule& old, LoadedModule& next, const PublishPlan& plan,
                          const TransactionInputs& migration);
  // Runs the migration `reducer` of `next` on every row of `from`, in `tx`.
  Result<void> migrate(const Table& from, LoadedModule& next, const std::string& reducer,
                       Transaction& tx);
  Result<void> check_subscriptions(const LoadedModule& module) const;
  Result<void> check_remote_subscription(const LoadedModule& module, const abi::EventName& event,
                                         const abi::ReducerDef& reducer) const;
  // Schema, dependency, authority and subscription checks before a module
  // goes live; `replacing` is the module it will replace, if any. Parses the
  // module's events into module.events.
  Result<void> admit(LoadedModule& module, std::string_view source_name,
                     const LoadedModule* replacing) const;
  // Rebuilds the subscription index from modules_ (after every change to it).
  void index_subscriptions();
  Result<std::unique_ptr<LoadedModule>> prepare(ByteView wasm, std::string_view source_name,
                                                const LoadedModule* replacing);
  // One executor's part of a cascade: its queue, and the budget the whole
  // cascade shares. Lives on the stack of the call that runs it.
  struct Cascade {
    uint32_t home = 0;  // the executor running this part
    std::shared_ptr<CascadeBudget> budget = std::make_shared<CascadeBudget>();
    std::deque<PendingCall> queue;
    size_t dropped = 0;   // calls dropped: past max_triggered_calls
    std::string dropper;  // the module of the first one dropped
  };
  // Runs one call; what it triggers goes to `cascade` (none for a replay).
  Result<void> run(const PendingCall& call, Cascade* cascade);
  // Both queue what a committed transaction (at log offset `parent`) set off.
  void enqueue_subscribers(Cascade& cascade, const std::vector<TableEvent>& events,
                           uint64_t parent);
  // Makes `module` the holder of every authority it requests (admit checked
  // that it may), dropping what an earlier version of it held.
  void take_authorities(const LoadedModule& module);
  // Gives a free, allowed authority to the first loaded module requesting it.
  void hand_on(abi::Authority authority);
  void enqueue_calls(Cascade& cascade, const std::string& caller, std::vector<OutgoingCall> calls,
                     uint64_t parent);
  // Queues `call` in `cascade`, or forwards it to its module's executor.
  void enqueue(Cascade& cascade, PendingCall call);
  void clear_queue(Cascade& cascade);
  // Runs the cascade's queue until it is empty or over a bound.
  void drain_queue(Cascade& cascade);
  // The executor a new module runs on: that of a module of this node it
  // depends on or subscribes to (so their cascades stay on one thread), else
  // the one with the fewest modules.
  uint32_t place(const LoadedModule& module) const;
  LoadedModule* find(std::string_view module) const;
  void emit(LogRecord record);

  RuntimeOptions options_;
  std::shared_ptr<engine::Engine> engine_;
  std::vector<std::unique_ptr<LoadedModule>> modules_;  // in load order
  std::map<abi::Authority, std::string> holders_;       // authority -> module
  // The subscription index: who runs on an event, in load order and then
  // declaration order (the order in which they are queued).
  struct Subscriber {
    LoadedModule* module;
    uint32_t reducer;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  template <typename T>
  using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;
  using OpSubscribers = std::array<std::vector<Subscriber>, 3>;  // by abi::TableOp
  // This node's table events: module -> table -> op -> subscribers.
  StringMap<StringMap<OpSubscribers>> table_subscribers_;
  // Every other event but init (which runs per module, at load), by its text.
  StringMap<std::vector<Subscriber>> other_subscribers_;
  std::atomic<uint64_t> transactions_{0};  // counted by every executor
};

}  // namespace interstice::runtime
