#include "node/node.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "authority/file_sandbox.h"
#include "authority/sdl_audio.h"
#include "net/secret_file.h"
#include "node/json_codec.h"
#include "node/operator_key.h"
#include "query/sql.h"
#include "storage/tx_record.h"

namespace interstice::node {

Node::Node(NodeOptions options)
    : options_(std::move(options)),
      env_(options_.env ? options_.env : &base::Env::posix()) {}  // the node's one default

// Creates the data directory with mode 0700 (its parents as usual), and warns
// if an existing one, or a key in it, is open to other users.
static base::Result<void> prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return base::make_error(
        fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  for (const std::filesystem::path& path : {dir, dir / "identity.key", dir / "operator.key"})
    if (std::string warning = net::exposure_warning(path); !warning.empty())
      spdlog::warn("{}", warning);
  return {};
}

// The tags of a log record, for `log` filters: its module and module.table.
static std::vector<std::string> log_tags(std::span<const uint8_t> payload) {
  std::vector<std::string> tags;
  auto record = storage::decode_tx_record(payload);
  if (!record) return tags;
  tags.push_back(record->module);
  for (const storage::RowEffect& e : record->effects)
    tags.push_back(record->module + "." + e.table);
  return tags;
}

base::Result<std::unique_ptr<Node>> Node::create(NodeOptions options) {
  if (auto r = prepare_data_dir(options.data_dir); !r) return r.take_error();
  // One node per data directory, from before it reads anything to its end.
  auto lock = DataDirLock::acquire(options.data_dir, "node");
  if (!lock) return lock.take_error();
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir / "modules", ec);
  if (ec)
    return base::make_error(
        fmt::format("cannot create {}: {}", (options.data_dir / "modules").string(), ec.message()));
  if (options.runtime.engine.cache_dir.empty())
    options.runtime.engine.cache_dir = options.data_dir / "compiled";
  options.log.tags = log_tags;
  std::unique_ptr<Node> node(new Node(std::move(options)));
  node->data_dir_lock_ = std::move(lock).value();
  node->executors_ = std::make_unique<ExecutorPool>(node->options_.executors);
  if (auto r = node->open_storage(); !r) return r.take_error();
  if (auto r = node->create_parts(); !r) return r.take_error();
  if (auto r = node->start(); !r) return r.take_error();
  return node;
}

// The keys, the log and the snapshots; the grant policy the manifest kept.
base::Result<void> Node::open_storage() {
  options_.log.on_failure = [this] {
    if (commits_) commits_->note_log_failure();  // (not while the log opens)
  };
  options_.log.on_flush = [this](const storage::LogFlush& flush) {
    metrics_.log_flush(flush);
    if (tracer_.on()) {
      nlohmann::json args{{"records", flush.records}, {"bytes", flush.bytes}};
      tracer_.add("log", "write", flush.started, flush.written, args);
      tracer_.add("log", "fsync", flush.written, flush.synced, std::move(args));
    }
  };
  auto identity = net::load_or_create_identity(env(), options_.data_dir);
  if (!identity) return identity.take_error();
  identity_ = *identity;
  auto operator_key = load_or_create_operator_key(env(), options_.data_dir);
  if (!operator_key) return operator_key.take_error();
  operator_key_ = *operator_key;
  identities_ = std::make_unique<ClientIdentities>(operator_key_);
  spdlog::info("node id {}", identity_.id());
  auto installed = ModuleStore(env(), options_.data_dir).read_manifest();
  if (!installed) return installed.take_error();
  options_.runtime.grantable =  // grants persist across restarts
      AuthorityPolicy::merged(options_.runtime.grantable, installed->grants);
  std::vector<std::string> warnings;
  auto log =
      storage::TransactionLog::open(env(), options_.data_dir / "log", options_.log, &warnings);
  if (!log) return log.take_error();
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  commits_ = std::make_unique<CommitPipeline>(std::move(log).value(), options_.log.durability);
  snapshots_ = std::make_unique<SnapshotTaker>(
      SnapshotTaker::Options{env_, options_.data_dir, options_.snapshot_every,
                             options_.log.durability, options_.retention},
      *commits_, [this] { return recovery_->capture(); },
      [this] { return executors_->exclusive([this] { return recovery_->capture(); }); });
  known_peers_ = std::make_unique<net::KnownPeers>(env(), options_.data_dir / "peers");
  for (const auto& [address, key] : options_.pinned_peers)
    if (auto r = known_peers_->pin(address, key); !r) return r.take_error();
  return {};
}

// The display, the runtime and the parts around it, wired to each other
// through this node (each part's hooks).
base::Result<void> Node::create_parts() {
  const auto& policy = options_.runtime.grantable;
  display_ = Display::open(
      Display::Options{options_.surface_width, options_.surface_height, options_.fps,
                       options_.frames, options_.frame_dump, options_.window, options_.gpu_memory},
      std::find(policy.begin(), policy.end(), abi::Authority::Gpu) != policy.end());
  runtime::RuntimeOptions runtime_options = options_.runtime;
  if (base::Clock* clock = options_.clock)
    runtime_options.clock = [clock] { return clock->now_micros(); };
  runtime_options.gpu = display_->gpu();
  runtime_options.audio = std::make_shared<authority::SdlAudio>();  // SDL starts on first open
  runtime_options.files = std::make_shared<authority::FileSandbox>(
      options_.file_root.empty() ? options_.data_dir / "files" : options_.file_root,
      options_.file_quota);
  runtime_options.on_commit = [this](const runtime::CommittedTransaction& tx) {
    return record(tx);
  };
  runtime_options.on_remote_calls = [this](std::vector<runtime::RemoteCall> calls) {
    links_->send(std::move(calls));
  };
  runtime_options.on_schedule_change = [this] { scheduler_->wake(); };
  runtime_options.on_call_end = [this](const runtime::CallObservation& call) {
    metrics_.reducer_call(call);
    tracer_.add_call(call);
  };
  runtime_options.time_host_calls = [this] { return tracer_.on(); };
  runtime_options.check_view = check_view;
  runtime_options.executors = executors_->size();
  runtime_options.forward = [this](uint32_t executor, runtime::ForwardedCall call) {
    executors_->post(executor, [this, call = std::move(call)]() mutable {
      runtime_->run_forwarded(std::move(call));
      maybe_snapshot();
    });
  };
  auto runtime = runtime::Runtime::create(std::move(runtime_options));
  if (!runtime) return runtime.take_error();
  runtime_ = std::move(runtime).value();
  base::Clock* clock = options_.clock ? options_.clock : &base::Clock::system();
  scheduler_ = std::make_unique<Scheduler>([clock] { return clock->now_micros(); }, post_hook(),
                                           [this, clock](const Scheduler::ScheduledTable& t) {
                                             auto next = runtime_->fire_due(t.module, t.table,
                                                                            clock->now_micros());
                                             maybe_snapshot();
                                             return next;
                                           });
  recovery_ = std::make_unique<Recovery>(env(), options_.data_dir, *runtime_, ledger_, *commits_,
                                         *snapshots_);
  links_ = std::make_unique<RemoteLinks>(
      identity_, known_peers_.get(), options_.peer_addresses, *executors_, *runtime_, ledger_,
      RemoteLinks::Hooks{post_hook(), link_hook(), [this] { maybe_snapshot(); },
                         [clock] { return clock->now_micros(); },
                         [this](const std::string& address, size_t messages, Tracer::Time started,
                                Tracer::Time ended, bool ok) {
                           if (tracer_.on())
                             tracer_.add("network", "send to " + address, started, ended,
                                         {{"messages", messages}, {"ok", ok}});
                         }});
  modules_ = std::make_unique<ModuleManager>(
      env(), options_.data_dir, *runtime_,
      ModuleManager::Hooks{
          [this](const std::string& module) { recovery_->mark_initialized(module); },
          [this](const std::string& module) { recovery_->forget(module); },
          [this] {
            links_->connect_declared();
            clients_->modules_changed();
            scheduler_->set_tables(scheduled_tables());
            snapshots_->take_now();
          },
          [this](const storage::TxRecord& record) -> base::Result<void> {
            auto offset = commits_->append(record);
            if (!offset) return offset.take_error();
            return {};
          }});
  policy_ = std::make_unique<AuthorityPolicy>(*runtime_, *modules_);
  catch_up_thread_ = std::make_unique<Executor>();
  clients_ = std::make_unique<ClientHub>(
      *runtime_, *commits_, env(), options_.data_dir / "log",
      [this](std::function<void()> task) { catch_up_thread_->post(std::move(task)); }, tracer_);
  return {};
}

// Loads and recovers, then lets inputs in: acknowledgements, peers, the
// display, the links to remote nodes.
base::Result<void> Node::start() {
  // Calls that init forwards to other executors run after this section.
  if (auto r = executors_->exclusive([&] {
        if (auto loaded = modules_->load_all(); !loaded) return loaded;
        // (an init that fails unloads its module)
        auto recovered = recovery_->recover(modules_->versions());
        modules_->refresh();
        return recovered;
      });
      !r)
    return r.take_error();
  commits_->start([this] {
    // A snapshot being written waits for records the log lost: it gives up.
    // (No new one starts while the log is failed: maybe_snapshot.) Joined
    // before the exclusive section, which the snapshot thread may wait for.
    snapshots_->join();
    return executors_->exclusive([this] { return recovery_->undo_after_log_failure(); });
  });
  if (options_.peer_port >= 0) {
    auto gateway = PeerGateway::start(
        identity_,
        PeerGateway::Options{options_.peer_host, static_cast<uint16_t>(options_.peer_port),
                             options_.peer_limits},
        *executors_, *runtime_, ledger_, *commits_, *clients_,
        PeerGateway::Hooks{post_hook(),
                           [this](const net::CallRequest& call, const std::string& peer) {
                             return run_call(call.module, call.reducer, call.args.data, peer,
                                             abi::Trigger::peer_call(call.call_id),
                                             runtime::CallOrigin::Outside);
                           },
                           link_hook(),
                           [this](const net::CallRequest& call, Tracer::Time arrived, bool ok) {
                             auto now = std::chrono::steady_clock::now();
                             metrics_.peer_call(call.query, ok, now - arrived);
                             if (tracer_.on())
                               tracer_.add_async("call",
                                                 (call.query ? "peer query: " : "peer: ") +
                                                     call.module + "." + call.reducer,
                                                 arrived, now, {{"ok", ok}});
                           }});
    if (!gateway) return gateway.take_error();
    gateway_ = std::move(gateway).value();
  }
  display_->start(
      *executors_, *runtime_,
      [this](const std::string& module, const std::function<void()>& task) {
        return run_for(module, task);
      },
      [this] { maybe_snapshot(); });
  // Connect to the remote nodes that loaded modules declare, and subscribe.
  executors_->exclusive([&] {
    links_->connect_declared();
    links_->resend_pending();
    scheduler_->set_tables(scheduled_tables());
  });
  scheduler_->start();
  return {};
}

std::function<bool(const std::string&, std::function<void()>)> Node::post_hook() {
  return [this](const std::string& module, std::function<void()> task) {
    return post_for(module, std::move(task));
  };
}

std::function<void(const std::string&, const std::string&, bool)> Node::link_hook() {
  return [this](const std::string& peer, const std::string& address, bool connected) {
    fire_peer_link(peer, address, connected);
  };
}

// Inside an exclusive section (it reads every module's schema).
std::vector<Scheduler::ScheduledTable> Node::scheduled_tables() const {
  std::vector<Scheduler::ScheduledTable> tables;
  for (const std::string& module : runtime_->module_names())
    for (const abi::TableDef& def : runtime_->schema(module)->tables)
      if (!def.schedule.empty()) tables.push_back({module, def.name});
  return tables;
}

Node::~Node() {
  if (scheduler_) scheduler_->stop();  // no more firings posted
  if (display_) display_->stop();
  if (gateway_) gateway_->stop();  // no more calls from peers
  links_.reset();                  // the outbox's threads may be waiting to post
  executors_->stop();              // runs what was posted; the acks still flow
  if (commits_) commits_->stop();  // the acknowledgements still waiting are answered
  if (catch_up_thread_) catch_up_thread_->stop();  // after the acks that post to it
  gateway_.reset();
  if (snapshots_) {
    snapshots_->join();  // no executor is left to start another
    if (recovery_ && commits_->last_logged() > snapshots_->newest())
      snapshots_->write(recovery_->capture());
    snapshots_.reset();
  }
  commits_.reset();
}

void Node::submit(const std::string& module, const std::string& reducer, std::vector<uint8_t> args,
                  std::function<void(base::Result<void>)> done) {
  auto task = [this, module, reducer, args = std::move(args), done]() {
    auto offset = run_call(module, reducer, args);
    if (!offset) return done(base::make_error(offset.error().message, base::ErrorCode::Failed));
    commits_->when_durable(*offset, done);
  };
  if (!post_for(module, std::move(task))) done(base::make_error("the node is stopping"));
}

base::Result<uint64_t> Node::record(const runtime::CommittedTransaction& tx) {
  auto offset = commits_->append(tx);
  if (!offset) return offset.take_error();
  clients_->publish(tx, *offset);
  return *offset;
}

std::string Node::metrics_text() {
  NodeGauges gauges;
  storage::TransactionLog& log = commits_->log();
  gauges.log_last_offset = log.last_offset();
  gauges.log_durable_offset = log.durable_offset();
  gauges.log_bytes_written = log.bytes_written();
  gauges.executor_queues = executors_->queue_depths();
  gauges.acknowledgements_waiting = commits_->waiting();
  gauges.modules = executors_->shared([&] { return runtime_->module_names(); });
  gauges.peers_connected = connected_peers().size();
  for (const net::Outbox::LinkStatus& link : outgoing_links()) {
    ++(link.peer_id.empty() ? gauges.links_down : gauges.links_connected);
    gauges.link_queued_calls += link.queued_calls;
  }
  gauges.client_subscriptions = clients_->size();
  return metrics_.render(gauges);
}

// On an executor: the subscribers of other executors' modules get it as a
// message (Runtime::fire forwards it).
void Node::fire_peer_link(const std::string& peer_id, const std::string& address, bool connected) {
  executors_->post(0, [this, peer_id, address, connected] {
    std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(peer_id, address));
    using Kind = abi::EventName::Kind;
    runtime_->fire("", abi::EventName{connected ? Kind::PeerConnect : Kind::PeerDisconnect}, args,
                   peer_id, executors_->current());
    maybe_snapshot();
  });
}

std::vector<net::Outbox::LinkStatus> Node::outgoing_links() {
  return links_ ? links_->links() : std::vector<net::Outbox::LinkStatus>{};
}

std::vector<net::PeerServer::ConnectedPeer> Node::connected_peers() const {
  return gateway_ ? gateway_->connected_peers() : std::vector<net::PeerServer::ConnectedPeer>{};
}

void Node::maybe_snapshot() {
  // With one executor, this task is the only one that changes tables (other
  // threads only read them, in shared sections): it captures in place, at
  // this very offset, as the node did before executors.
  snapshots_->maybe_take(executors_->size() == 1 && executors_->current().has_value());
}

// The operator's actions and what they change run between calls: the tasks
// running finish first, the others wait.
base::Result<Node::Published> Node::publish(std::span<const uint8_t> wasm) {
  return executors_->exclusive([&] { return modules_->publish(wasm); });
}

base::Result<runtime::PublishPlan> Node::plan_publish(std::span<const uint8_t> wasm) {
  return executors_->exclusive([&] { return modules_->plan_publish(wasm); });  // reads table sizes
}

base::Result<uint64_t> Node::remove_module(const std::string& module) {
  return executors_->exclusive([&] { return modules_->remove(module); });
}

base::Result<void> Node::set_authority(const std::string& name, bool granted) {
  return executors_->exclusive([&] { return policy_->set(name, granted); });
}

std::vector<Node::AuthorityInfo> Node::describe_authorities() {
  return executors_->shared([&] { return policy_->describe(); });
}

std::vector<Node::ModuleInfo> Node::describe_modules() {
  return executors_->exclusive([&] { return modules_->describe(); });  // it reads table sizes
}

static base::Error not_loaded(const std::string& module) {
  return base::make_error(fmt::format("no module '{}' is loaded", module),
                          base::ErrorCode::NotFound);
}

base::Result<std::shared_ptr<const abi::ModuleSchema>> Node::schema(const std::string& module) {
  auto found = executors_->shared([&] { return modules_->schema(module); });
  if (!found) return not_loaded(module);
  return found;
}

base::Result<std::vector<uint8_t>> Node::module_wasm(const std::string& module) {
  std::string hash = executors_->shared([&] { return modules_->installed_hash(module); });
  if (hash.empty()) return not_loaded(module);
  return modules_->wasm(hash);
}

bool Node::is_operator(const std::string& presented_key) const {
  return operator_key_matches(operator_key_, presented_key);
}

// On the executor: the reducer runs there, and the answer comes back here
// once its transaction is durable (group) or at once (sync, none).
base::Result<void> Node::call(const std::string& module, const std::string& reducer,
                              std::span<const uint8_t> args) {
  std::promise<base::Result<void>> outcome;
  std::future<base::Result<void>> answer = outcome.get_future();
  call_async(module, reducer, std::vector<uint8_t>(args.begin(), args.end()),
             [&outcome](base::Result<void> result) { outcome.set_value(std::move(result)); });
  return answer.get();
}

Node::LogState Node::log_state() const {
  storage::TransactionLog& log = commits_->log();
  return LogState{log.last_offset(), log.durable_offset(), log.stats()};
}

void Node::call_async(const std::string& module, const std::string& reducer,
                      std::vector<uint8_t> args, std::function<void(base::Result<void>)> done,
                      const std::string& caller) {
  auto call =
      std::make_shared<OutsideCall>(OutsideCall{module, reducer, std::move(args), done, caller});
  if (!post_for(module, [this, call] { run_outside_call(*call); }))
    done(base::make_error("the node is stopping"));
}

void Node::run_outside_call(const OutsideCall& call) {
  // Its answer, counted (metrics) and traced from its arrival.
  // (Its name only while a trace records: nothing is built for it otherwise.)
  auto answer = [this, arrived = call.arrived, done = call.done,
                 name = tracer_.on() ? call.module + "." + call.reducer
                                     : std::string()](base::Result<void> outcome) {
    using Outcome = NodeMetrics::Outcome;
    Outcome counted = Outcome::Ok;
    if (!outcome) {
      base::ErrorCode code = outcome.error().code;
      bool refused = code == base::ErrorCode::NotFound ||
                     code == base::ErrorCode::InvalidArgument || code == base::ErrorCode::Forbidden;
      counted = refused ? Outcome::Refused : Outcome::Failed;
    }
    auto now = std::chrono::steady_clock::now();
    metrics_.outside_call(counted, now - arrived);
    if (!name.empty() && tracer_.on())
      tracer_.add_async("call", name, arrived, now,
                        {{"outcome", counted == Outcome::Ok        ? "ok"
                                     : counted == Outcome::Refused ? "refused"
                                                                   : "failed"}});
    done(std::move(outcome));
  };
  // Refusals come back with their codes (Runtime::call): NotFound,
  // Forbidden, InvalidArgument; a call that ran and failed is Failed.
  auto offset =
      run_call(call.module, call.reducer, call.args, call.caller, {}, runtime::CallOrigin::Outside);
  if (!offset) return answer(offset.take_error());
  if (options_.log.durability == storage::Durability::None) return answer({});
  // Through the acknowledging thread, which also answers for the calls a
  // failed log write undoes (Recovery::undo_after_log_failure).
  commits_->when_durable(*offset, std::move(answer));
}

void Node::call_batch_async(std::vector<OutsideCall> calls) {
  using Group = std::pair<uint32_t, std::shared_ptr<std::vector<OutsideCall>>>;
  std::vector<Group> groups;  // calls in a row for one executor
  executors_->shared([&] {
    for (OutsideCall& call : calls) {
      uint32_t executor = runtime_->executor_of(call.module).value_or(0);
      if (groups.empty() || groups.back().first != executor)
        groups.emplace_back(executor, std::make_shared<std::vector<OutsideCall>>());
      groups.back().second->push_back(std::move(call));
    }
  });
  for (auto& [executor, group] : groups) {
    bool posted = executors_->post(executor, [this, executor, group] {
      for (OutsideCall& call : *group) {
        // Its module was removed and published again on another executor
        // since: follow it (as post_for does).
        if (auto now = runtime_->executor_of(call.module); now && *now != executor) {
          call_async(call.module, call.reducer, std::move(call.args), call.done, call.caller);
          continue;
        }
        run_outside_call(call);
      }
    });
    if (!posted)
      for (OutsideCall& call : *group) call.done(base::make_error("the node is stopping"));
  }
}

base::Result<uint64_t> Node::run_call(const std::string& module, const std::string& reducer,
                                      std::span<const uint8_t> args, const std::string& caller,
                                      const abi::Trigger& trigger, runtime::CallOrigin origin) {
  if (auto r = runtime_->call(module, reducer, args, caller, trigger, origin); !r)
    return r.take_error();
  maybe_snapshot();
  return CommitPipeline::last_appended_by_this_thread();
}

bool Node::post_for(const std::string& module, std::function<void()> task) {
  uint32_t executor = executors_->shared([&] { return runtime_->executor_of(module).value_or(0); });
  return executors_->post(executor, [this, executor, module, task = std::move(task)]() mutable {
    // Removed and published again on another executor since: follow it
    // (while stopping, when it cannot be posted, it runs here).
    if (auto now = runtime_->executor_of(module); now && *now != executor)
      if (post_for(module, task)) return;
    task();
  });
}

bool Node::run_for(const std::string& module, const std::function<void()>& task) {
  std::promise<void> finished;
  std::future<void> done = finished.get_future();
  if (!post_for(module, [&] {
        task();
        finished.set_value();
      }))
    return false;
  done.wait();
  return true;
}

base::Result<std::string> Node::ask(const std::string& module, const std::string& query,
                                    const std::vector<uint8_t>& args, const std::string& caller,
                                    const Reader& reader) {
  base::Result<std::string> result = base::make_error("the node is stopping");
  runtime::RowFilter filter = row_filter_for(reader);
  run_for(module, [&] {
    auto value = runtime_->query(module, query, args, caller, filter ? &filter : nullptr);
    if (!value) {
      result = value.take_error();
      return;
    }
    const abi::ModuleSchema* schema = runtime_->schema(module);
    const abi::ReducerDef* def = schema->find_reducer(query);
    result = bytes_to_json(*value, def->result.at(0), abi::TypeResolver(schema->types)).dump();
  });
  return result;
}

// On the module's executor: the table is not changing meanwhile.
base::Result<Node::Rows> Node::query(const std::string& module, const std::string& table) {
  base::Result<Rows> result = base::make_error("the node is stopping");
  run_for(module, [&] { result = read_all_rows(*runtime_, module, table); });
  return result;
}

base::Result<Node::TablePage> Node::query_page(const std::string& module, const std::string& table,
                                               const std::optional<std::string>& after,
                                               size_t max_rows, size_t max_bytes,
                                               const Reader& reader) {
  base::Result<TablePage> result = base::make_error("the node is stopping");
  run_for(module, [&] {
    result = read_page(*runtime_, module, table, after, max_rows, max_bytes, reader);
  });
  return result;
}

base::Result<void> Node::resolve_module(query::SelectQuery* query) {
  if (!query->module.empty()) return {};
  std::vector<std::string> holders = executors_->shared([&] {
    std::vector<std::string> found;
    for (const auto& schema : modules_->schemas())
      for (const abi::TableDef& t : schema->tables)
        if (t.name == query->table) found.push_back(schema->name);
    return found;
  });
  if (holders.empty())
    return base::make_error(fmt::format("no loaded module has a table '{}'", query->table),
                            base::ErrorCode::NotFound);
  if (holders.size() > 1)
    return base::make_error(fmt::format("several modules have a table '{}': name one, as MODULE.{}",
                                        query->table, query->table),
                            base::ErrorCode::InvalidArgument);
  query->module = holders[0];
  return {};
}

base::Result<Node::SqlAnswer> Node::sql(std::string_view text, size_t max_rows,
                                        const Reader& reader) {
  auto query = query::parse_sql(text);
  if (!query) return query.take_error();
  if (auto found = resolve_module(&*query); !found) return found.take_error();
  base::Result<SqlAnswer> result = base::make_error("the node is stopping");
  run_for(query->module, [&] { result = run_sql(*runtime_, *query, max_rows, reader); });
  return result;
}

void Node::subscribe(std::shared_ptr<ClientSink> sink, uint64_t id, std::string_view sql,
                     std::optional<uint64_t> resume_after, size_t max_rows, const Reader& reader,
                     std::function<void(base::Error)> refused) {
  auto query = query::parse_sql(sql);
  if (!query) return refused(query.take_error());
  if (auto found = resolve_module(&*query); !found) return refused(found.take_error());
  std::string module = query->module;
  bool posted = post_for(module, [this, sink, id, query = std::move(query).value(), resume_after,
                                  max_rows, reader, refused] {
    auto started = clients_->subscribe(sink, id, query, resume_after, max_rows, reader);
    if (!started) refused(started.take_error());
  });
  if (!posted) refused(base::make_error("the node is stopping"));
}

}  // namespace interstice::node
