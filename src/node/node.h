// Node: the runtime of one Interstice node, its data directory, and the local
// HTTP/JSON interface that the CLI and tests drive it through.
//
// Data directory (docs/storage.md):
//   DIR/modules/*.wasm  loaded at start, in file-name order (a module whose
//                       dependencies are not loaded yet is retried after the
//                       others); one that fails to load is reported and skipped
//   DIR/log/            the transaction log: every committed transaction, with
//                       its inputs and effects. At start the node re-applies it,
//                       then runs `init` only for modules that never ran it.
//   DIR/snapshots/      zstd snapshots of the tables; recovery starts from the
//                       newest intact one and re-applies the log after it
//   DIR/LOCK            flock'ed by the running node (data_dir_lock.h)
//   DIR/identity.key    the node's Ed25519 key pair (its id is the public key)
//   DIR/operator.key    the secret that authorizes publishing (operator_key.h)
//   (DIR is created 0700 and the keys 0600; looser modes are warned about)
//   DIR/store/, DIR/installed   the installed modules by content hash, with
//                       their schemas, and the authority grants (module_store.h)
//   DIR/compiled/       the compiled-module cache
//   DIR/files/<module>/ the File authority's sandbox of each module
// A call returns once its transaction is durable (per LogOptions::durability).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "net/identity.h"
#include "net/known_peers.h"
#include "node/authority_policy.h"
#include "node/call_ledger.h"
#include "node/client_hub.h"
#include "node/client_identity.h"
#include "node/commit_pipeline.h"
#include "node/data_dir_lock.h"
#include "node/display.h"
#include "node/executor.h"
#include "node/executor_pool.h"
#include "node/metrics.h"
#include "node/module_directory.h"
#include "node/module_manager.h"
#include "node/module_store.h"
#include "node/peer_gateway.h"
#include "node/recovery.h"
#include "node/remote_links.h"
#include "node/scheduler.h"
#include "node/snapshot_taker.h"
#include "node/table_reader.h"
#include "node/tracer.h"
#include "runtime/runtime.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"

namespace interstice::node {

struct NodeOptions {
  std::filesystem::path data_dir;
  runtime::RuntimeOptions runtime;
  storage::LogOptions log;
  // A snapshot is taken (off the hot path) after this many transactions, and
  // at a clean shutdown; 0 disables periodic snapshots.
  uint64_t snapshot_every = 100'000;
  // Remote node addresses by alias, overriding what modules declare
  // (INTERSTICE_NODE), e.g. for tests on free ports.
  std::map<std::string, std::string> peer_addresses;
  // Peer keys to pin, by address ("host:port" -> hex node id): a peer there
  // presenting any other key is refused (docs/protocol.md, "Known peers").
  std::map<std::string, std::string> pinned_peers;
  storage::Retention retention = storage::Retention::Keep;
  // The file system that every file of the data directory is read and
  // written through: the log, snapshots, the module store and manifest,
  // installed wasm, known peers and keys (which are created 0600 directly).
  // Tests inject faults and crashes here. Null: the real one.
  base::Env* env = nullptr;
  // The wall clock that stamps each transaction (its recorded timestamp,
  // which is all a reducer sees of time). Null: the system clock, or
  // runtime.clock if that is set.
  base::Clock* clock = nullptr;
  // The File authority's root: each module's files are in FILE_ROOT/<module>/
  // (default: DATA_DIR/files).
  std::filesystem::path file_root;
  uint64_t file_quota = 1ull << 30;  // bytes of files per module (FileSandbox)
  // The display of the Gpu and Input authorities (docs/node.md, "Display").
  // With Gpu in the grant policy the node renders: it sends `render` to the
  // Gpu holder `fps` times a second, offscreen, or in a window (SDL2) that
  // also sends `input` events to the Input holder.
  uint32_t surface_width = 640;
  uint32_t surface_height = 480;
  double fps = 60;
  uint64_t frames = 0;               // stop rendering after this many frames (0: never)
  std::filesystem::path frame_dump;  // if set, every frame is written as frame-NNNNNN.png
  bool window = false;
  uint64_t gpu_memory = 512ull << 20;  // bytes of buffers and textures per module
  // The peer server (docs/protocol.md): -1 for none, 0 for any free port.
  std::string peer_host = "127.0.0.1";
  int peer_port = -1;
  net::PeerLimits peer_limits;  // its bounds (docs/protocol.md, "Bounds")
  // Executor threads that run reducers (executor_pool.h): each module is
  // placed on one, and calls to modules of different executors run in
  // parallel (docs/node.md, "Order and determinism").
  uint32_t executors = 1;
};

// What a reducer called through HTTP sees as ctx.caller(): never empty (the
// node itself) and never a node id (64 hex digits), so a client cannot pass
// for the node or a peer. An identified client calls as "client:<its public key hex>"
// (client_identity.h).
inline constexpr const char* kHttpClientCaller = "client:anonymous";

// The node: ownership, wiring and the local operations (node.cc); the other
// parts are
// classes of their own (docs/node.md, "Threads and components").
// Threading: reducers run on the executors (executors_), each module on its
// own; I/O threads post to them. What the executors share is guarded as each
// field says: "exclusive" fields change only inside executors_->exclusive
// (no task running) and are read by tasks or inside executors_->shared.
class Node {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<Node>> create(NodeOptions options);
  ~Node();

  const std::vector<ModuleLoadReport>& load_reports() const { return modules_->reports(); }
  const net::Identity& identity() const { return identity_; }
  // The log's state: its last and durable offsets, and its writer's fsyncs.
  struct LogState {
    uint64_t last_offset = 0;
    uint64_t durable_offset = 0;
    storage::LogStats writer;
  };
  LogState log_state() const;
  // Transactions re-applied from the log at start.
  uint64_t recovered_transactions() const { return recovery_->recovered(); }

  // The operations of the local interface, in the node's own types (the HTTP
  // interface converts them to JSON: json_api.h). A call runs on its
  // module's executor, after the calls posted there before it.
  // Each returns a Result: the value, or an Error whose code says why
  // (NotFound, InvalidArgument, Forbidden, Failed; the HTTP status follows it).
  //
  // A client's call: `args` are the reducer's parameters encoded as a tuple;
  // the reducer sees kHttpClientCaller and the access rules of an outside
  // call. Returns once its transaction is durable.
  base::Result<void> call(const std::string& module, const std::string& reducer,
                          std::span<const uint8_t> args);
  // The same call, answered asynchronously (for the HTTP interface): returns
  // at once, and `done` runs exactly once, with the outcome call() would
  // return: on the acknowledging thread once the transaction is durable, on
  // the module's executor if it was refused or failed, or on this thread if
  // the node is stopping.
  void call_async(const std::string& module, const std::string& reducer, std::vector<uint8_t> args,
                  std::function<void(base::Result<void>)> done,
                  const std::string& caller = kHttpClientCaller);
  // One call_async, as data.
  struct OutsideCall {
    std::string module;
    std::string reducer;
    std::vector<uint8_t> args;
    std::function<void(base::Result<void>)> done;
    std::string caller;
    std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  };
  // call_async for each call, in order, with one task per executor for the
  // calls in a row that go to it (a client's I/O thread gathers what it
  // read before it posts: the executor wakes once for many calls).
  void call_batch_async(std::vector<OutsideCall> calls);
  // Client identities and their tokens (client_identity.h).
  ClientIdentities& identities() { return *identities_; }
  // The asynchronous form, for pipelined clients: runs the call now (args
  // encoded as a tuple) and calls `done` from the acknowledging thread once
  // its transactions are durable, or at once if it failed.
  void submit(const std::string& module, const std::string& reducer, std::vector<uint8_t> args,
              std::function<void(base::Result<void>)> done);
  // Asks the query `module.query` (abi::ReducerKind::Query) with `args`
  // (encoded, as encode_call_json makes them) for `caller`, on the module's
  // executor: its value as JSON text. Nothing is logged. The query reads
  // through `reader`'s views (table_view.h).
  base::Result<std::string> ask(const std::string& module, const std::string& query,
                                const std::vector<uint8_t>& args, const std::string& caller,
                                const Reader& reader);
  // Reading tables, on the module's executor (table_reader.h).
  using Rows = node::Rows;
  using TablePage = node::TablePage;
  // Every row of the table (for tools and tests: GET /tables pages).
  base::Result<Rows> query(const std::string& module, const std::string& table);
  // One page of a table's rows, for GET /tables (read_page).
  base::Result<TablePage> query_page(const std::string& module, const std::string& table,
                                     const std::optional<std::string>& after, size_t max_rows,
                                     size_t max_bytes, const Reader& reader);
  // Runs a SQL query (query/sql.h) on its table's module executor (run_sql).
  // The table is `module.table`, or `table` if one loaded module has a
  // table of that name.
  using SqlAnswer = node::SqlAnswer;
  base::Result<SqlAnswer> sql(std::string_view text, size_t max_rows, const Reader& reader);
  // Clients' live subscriptions (client_hub.h): `sink` subscribes to the
  // rows of `sql` as subscription `id` (after log offset `resume_after`, if
  // given). Its answer (Subscribed) and updates come through the sink; a
  // refusal comes to `refused` instead, at once or from the executor.
  void subscribe(std::shared_ptr<ClientSink> sink, uint64_t id, std::string_view sql,
                 std::optional<uint64_t> resume_after, size_t max_rows, const Reader& reader,
                 std::function<void(base::Error)> refused);
  bool unsubscribe(const ClientSink* sink, uint64_t id) { return clients_->unsubscribe(sink, id); }
  void drop_client(const ClientSink* sink) { clients_->drop(sink); }
  size_t client_subscriptions() const { return clients_->size(); }
  // The schema a loaded module declares (immutable; replaced, not changed,
  // when the module is), or NotFound.
  base::Result<std::shared_ptr<const abi::ModuleSchema>> schema(const std::string& module);
  // What GET /modules shows of each loaded module, in load order.
  using ModuleInfo = ModuleManager::ModuleInfo;
  std::vector<ModuleInfo> describe_modules();
  // Operator actions; the local interface lets only holders of the operator
  // key (operator_key.h) reach them.
  bool is_operator(const std::string& presented_key) const;
  // Installs a module: loads it (running its init) or replaces the loaded
  // module of the same name, keeping its data; refused, with the reason, if
  // it does not validate or a table with rows changed its definition. The
  // wasm goes to the store and to DATA_DIR/modules, and a snapshot is taken,
  // so a restart comes back with it.
  using Published = ModuleManager::Published;
  base::Result<Published> publish(std::span<const uint8_t> wasm);
  // What publish would do to the tables, changing nothing (its init, for a
  // new module, does not run): runtime/publish_plan.h.
  base::Result<runtime::PublishPlan> plan_publish(std::span<const uint8_t> wasm);
  // The authorities, by name (gpu, input, audio, file).
  using AuthorityInfo = AuthorityPolicy::AuthorityInfo;
  std::vector<AuthorityInfo> describe_authorities();
  // Grants or revokes an authority by name (gpu, input, audio, file), between
  // transactions, and persists the policy (docs/cli.md, "authority").
  base::Result<void> set_authority(const std::string& name, bool granted);
  // The installed wasm of a loaded module (for `interstice bindings`).
  base::Result<std::vector<uint8_t>> module_wasm(const std::string& module);
  // Unloads a module and forgets it (its rows go with it); refused while
  // another loaded module depends on it. Returns how many rows went.
  base::Result<uint64_t> remove_module(const std::string& module);

  // Observability (docs/observability.md): GET /metrics's text, and the
  // tracer that GET /trace records with.
  std::string metrics_text();
  NodeMetrics& metrics() { return metrics_; }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }
  Tracer& tracer() { return tracer_; }

  // Where the peer server listens (0 if it does not), and who is connected.
  uint16_t peer_port() const { return gateway_ ? gateway_->port() : 0; }
  std::vector<net::PeerServer::ConnectedPeer> connected_peers() const;
  // This node's own links to other nodes (calls, subscriptions), connected or not.
  std::vector<net::Outbox::LinkStatus> outgoing_links();

 private:
  explicit Node(NodeOptions options);
  // The steps of create, in order.
  base::Result<void> open_storage();
  base::Result<void> create_parts();
  base::Result<void> start();
  // The hooks that parts get: post a task for a module (post_for), and a
  // peer link event (fire_peer_link).
  std::function<bool(const std::string&, std::function<void()>)> post_hook();
  std::function<void(const std::string&, const std::string&, bool)> link_hook();
  base::Env& env() const { return *env_; }
  // After a call, on its executor: starts a snapshot if one is due
  // (snapshot_taker.h).
  void maybe_snapshot();
  base::Result<uint64_t> record(const runtime::CommittedTransaction& tx);
  // Posts peer.connect / peer.disconnect (from I/O threads) to executor 0,
  // which runs them for the modules that subscribe (forwarding to others).
  void fire_peer_link(const std::string& peer_id, const std::string& address, bool connected);
  // On the module's executor: runs an outside call and answers it (`done`)
  // once durable, or with its refusal or failure.
  void run_outside_call(const OutsideCall& call);
  // Runs the call (on its module's executor) and returns the log offset that
  // must be durable before it is acknowledged, or the failure.
  base::Result<uint64_t> run_call(const std::string& module, const std::string& reducer,
                                  std::span<const uint8_t> args, const std::string& caller = "",
                                  const abi::Trigger& trigger = {},
                                  runtime::CallOrigin origin = runtime::CallOrigin::Node);

  // Held from create() to the end of the destructor (declared first, so
  // destroyed last): no other node or `log repair` opens the directory.
  DataDirLock data_dir_lock_;
  NodeOptions options_;
  base::Env* env_;  // options_.env, or the real file system (set at construction)
  // Reported into by the executors, the acknowledging thread and the log
  // writer (each thread-safe); declared before the parts that report.
  NodeMetrics metrics_;
  Tracer tracer_;
  net::Identity identity_;
  std::unique_ptr<net::KnownPeers> known_peers_;
  // The calls between nodes to remember across restarts (call_ledger.h).
  CallLedger ledger_;
  // This node's calls and subscriptions to peers (remote_links.h).
  std::unique_ptr<RemoteLinks> links_;
  // Peers' calls and subscriptions here, if the peer server runs
  // (peer_gateway.h); reset after the acknowledgements that use it.
  std::unique_ptr<PeerGateway> gateway_;
  // The Gpu back-end and the frame loop (display.h).
  std::unique_ptr<Display> display_;
  std::string operator_key_;
  std::unique_ptr<ClientIdentities> identities_;  // keyed by the operator key
  std::unique_ptr<SnapshotTaker> snapshots_;
  // The log and the acknowledgements (commit_pipeline.h).
  std::unique_ptr<CommitPipeline> commits_;
  std::unique_ptr<runtime::Runtime> runtime_;
  // The recoverable state: restoring it, undoing a failed write, capturing
  // it for snapshots (recovery.h).
  std::unique_ptr<Recovery> recovery_;

  // Run the reducers of calls from clients and peers and of peer and display
  // events (executor_pool.h); created first, stopped once no input can post.
  std::unique_ptr<ExecutorPool> executors_;
  // Posts `task` to the executor that runs `module` (executor 0 if none
  // does: the task finds it missing and says so). False if stopping.
  bool post_for(const std::string& module, std::function<void()> task);
  // post_for, and waits for the task to finish (not from a task).
  bool run_for(const std::string& module, const std::function<void()>& task);
  // The set of modules and the manifest (module_manager.h), and the
  // authority policy (authority_policy.h).
  std::unique_ptr<ModuleManager> modules_;
  std::unique_ptr<AuthorityPolicy> policy_;
  // The table a query names: `module.table`, or the one loaded module with
  // a table of that name (fills in query->module).
  base::Result<void> resolve_module(query::SelectQuery* query);
  // Clients' subscriptions (client_hub.h), and the thread that reads the log
  // for their catch-ups.
  std::unique_ptr<Executor> catch_up_thread_;
  std::unique_ptr<ClientHub> clients_;
  // Fires scheduled tables' rows (scheduler.h); stopped first.
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<Scheduler::ScheduledTable> scheduled_tables() const;
};

}  // namespace interstice::node
