#include "node/node.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <set>

#include "abi/event_name.h"
#include "abi/type_match.h"
#include "authority/file_sandbox.h"
#include "authority/sdl_audio.h"
#include "storage/tx_record.h"

#include "net/secret_file.h"
#include "node/data_dir_lock.h"
#include "node/operator_key.h"
#include "node/snapshot_restore.h"

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
  options.log.tags = [](std::span<const uint8_t> payload) {
    std::vector<std::string> tags;
    auto record = storage::decode_tx_record(payload);
    if (!record) return tags;
    tags.push_back(record->module);
    for (const storage::RowEffect& e : record->effects)
      tags.push_back(record->module + "." + e.table);
    return tags;
  };
  std::unique_ptr<Node> node(new Node(std::move(options)));
  node->executors_ = std::make_unique<ExecutorPool>(node->options_.executors);
  node->data_dir_lock_ = std::move(lock).value();
  node->options_.log.on_failure = [raw = node.get()] {
    if (raw->commits_) raw->commits_->note_log_failure();  // (not while the log opens)
  };
  auto identity = net::load_or_create_identity(node->env(), node->options_.data_dir);
  if (!identity) return identity.take_error();
  auto operator_key = load_or_create_operator_key(node->env(), node->options_.data_dir);
  if (!operator_key) return operator_key.take_error();
  node->operator_key_ = *operator_key;
  node->identity_ = *identity;
  spdlog::info("node id {}", node->identity_.id());
  ModuleStore store(node->env(), node->options_.data_dir);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  node->options_.runtime.grantable =  // grants persist across restarts
      AuthorityPolicy::merged(node->options_.runtime.grantable, installed->grants);
  std::vector<std::string> warnings;
  auto log = storage::TransactionLog::open(node->env(), node->options_.data_dir / "log",
                                           node->options_.log, &warnings);
  if (!log) return log.take_error();
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  node->commits_ =
      std::make_unique<CommitPipeline>(std::move(log).value(), node->options_.log.durability);
  node->snapshots_ = std::make_unique<SnapshotTaker>(
      SnapshotTaker::Options{node->env_, node->options_.data_dir, node->options_.snapshot_every,
                             node->options_.log.durability, node->options_.retention},
      *node->commits_, [raw = node.get()] { return raw->recovery_->capture(); },
      [raw = node.get()] {
        return raw->executors_->exclusive([raw] { return raw->recovery_->capture(); });
      });
  runtime::RuntimeOptions runtime_options = node->options_.runtime;
  if (base::Clock* clock = node->options_.clock)
    runtime_options.clock = [clock] { return clock->now_micros(); };
  const auto& policy = node->options_.runtime.grantable;
  node->display_ = Display::open(
      Display::Options{node->options_.surface_width, node->options_.surface_height,
                       node->options_.fps, node->options_.frames, node->options_.frame_dump,
                       node->options_.window, node->options_.gpu_memory},
      std::find(policy.begin(), policy.end(), abi::Authority::Gpu) != policy.end());
  runtime_options.gpu = node->display_->gpu();
  runtime_options.audio = std::make_shared<authority::SdlAudio>();  // SDL starts on first open
  runtime_options.files = std::make_shared<authority::FileSandbox>(
      node->options_.file_root.empty() ? node->options_.data_dir / "files"
                                       : node->options_.file_root,
      node->options_.file_quota);
  runtime_options.on_commit = [raw = node.get()](const runtime::CommittedTransaction& tx) {
    return raw->record(tx);
  };
  node->known_peers_ =
      std::make_unique<net::KnownPeers>(node->env(), node->options_.data_dir / "peers");
  for (const auto& [address, key] : node->options_.pinned_peers)
    if (auto r = node->known_peers_->pin(address, key); !r) return r.take_error();
  Node* raw = node.get();
  runtime_options.on_remote_calls = [raw](std::vector<runtime::RemoteCall> calls) {
    raw->links_->send(std::move(calls));
  };
  runtime_options.executors = node->executors_->size();
  runtime_options.forward = [raw = node.get()](uint32_t executor, runtime::ForwardedCall call) {
    raw->executors_->post(executor, [raw, call = std::move(call)]() mutable {
      raw->runtime_->run_forwarded(std::move(call));
      raw->maybe_snapshot();
    });
  };
  auto runtime = runtime::Runtime::create(std::move(runtime_options));
  if (!runtime) return runtime.take_error();
  node->runtime_ = std::move(runtime).value();
  node->recovery_ =
      std::make_unique<Recovery>(node->env(), node->options_.data_dir, *node->runtime_,
                                 node->ledger_, *node->commits_, *node->snapshots_);
  node->links_ = std::make_unique<RemoteLinks>(
      node->identity_, node->known_peers_.get(), node->options_.peer_addresses, *node->executors_,
      *node->runtime_, node->ledger_,
      RemoteLinks::Hooks{[raw](const std::string& module, std::function<void()> task) {
                           return raw->post_for(module, std::move(task));
                         },
                         [raw](const std::string& peer, const std::string& address,
                               bool connected) { raw->fire_peer_link(peer, address, connected); },
                         [raw] { raw->maybe_snapshot(); }});
  node->modules_ = std::make_unique<ModuleManager>(
      node->env(), node->options_.data_dir, *node->runtime_,
      ModuleManager::Hooks{
          [raw](const std::string& module) { raw->recovery_->mark_initialized(module); },
          [raw](const std::string& module) { raw->recovery_->forget(module); },
          [raw] {
            raw->links_->connect_declared();
            raw->snapshots_->take_now();
          }});
  node->policy_ = std::make_unique<AuthorityPolicy>(*node->runtime_, *node->modules_);
  // Calls that init forwards to other executors run after this section.
  if (auto r = node->executors_->exclusive([&] {
        if (auto loaded = node->modules_->load_all(); !loaded) return loaded;
        auto recovered = node->recovery_->recover();  // (an init that fails unloads its module)
        node->modules_->refresh();
        return recovered;
      });
      !r)
    return r.take_error();
  node->commits_->start([raw] {
    // A snapshot being written waits for records the log lost: it gives up.
    // (No new one starts while the log is failed: maybe_snapshot.) Joined
    // before the exclusive section, which the snapshot thread may wait for.
    raw->snapshots_->join();
    return raw->executors_->exclusive([raw] { return raw->recovery_->undo_after_log_failure(); });
  });
  if (node->options_.peer_port >= 0) {
    auto gateway = PeerGateway::start(
        node->identity_,
        PeerGateway::Options{node->options_.peer_host,
                             static_cast<uint16_t>(node->options_.peer_port),
                             node->options_.peer_limits},
        *node->executors_, *node->runtime_, node->ledger_, *node->commits_,
        PeerGateway::Hooks{
            [raw](const std::string& module, std::function<void()> task) {
              return raw->post_for(module, std::move(task));
            },
            [raw](const net::CallRequest& call, const std::string& peer) {
              return raw->run_call(call.module, call.reducer, call.args.data, peer,
                                   storage::peer_call_trigger(call.call_id),
                                   runtime::CallOrigin::Outside);
            },
            [raw](const std::string& peer, const std::string& address, bool connected) {
              raw->fire_peer_link(peer, address, connected);
            }});
    if (!gateway) return gateway.take_error();
    node->gateway_ = std::move(gateway).value();
  }
  node->display_->start(
      *node->executors_, *node->runtime_,
      [raw](const std::string& module, const std::function<void()>& task) {
        return raw->run_for(module, task);
      },
      [raw] { raw->maybe_snapshot(); });
  // Connect to the remote nodes that loaded modules declare, and subscribe.
  node->executors_->exclusive([&] {
    node->links_->connect_declared();
    node->links_->resend_pending();
  });
  return node;
}

Node::~Node() {
  if (display_) display_->stop();
  if (gateway_) gateway_->stop();  // no more calls from peers
  links_.reset();                  // the outbox's threads may be waiting to post
  executors_->stop();              // runs what was posted; the acks still flow
  if (commits_) commits_->stop();  // the acknowledgements still waiting are answered
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

base::Result<void> Node::record(const runtime::CommittedTransaction& tx) {
  auto offset = commits_->append(tx);
  if (!offset) return offset.take_error();
  if (gateway_) gateway_->publish_effects(tx, *offset);
  return {};
}

// On an executor: the subscribers of other executors' modules get it as a
// message (Runtime::fire forwards it).
void Node::fire_peer_link(const std::string& peer_id, const std::string& address, bool connected) {
  executors_->post(0, [this, peer_id, address, connected] {
    std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(peer_id, address));
    runtime_->fire("", connected ? "peer.connect" : "peer.disconnect", args, peer_id,
                   executors_->current());
    maybe_snapshot();
  });
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

base::Result<void> Node::remove_module(const std::string& module) {
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
  bool posted = post_for(module, [&] {
    // Refusals come back with their codes (Runtime::call): NotFound,
    // Forbidden, InvalidArgument; a call that ran and failed is Failed.
    auto offset =
        run_call(module, reducer, args, kHttpClientCaller, "", runtime::CallOrigin::Outside);
    if (!offset) return outcome.set_value(offset.take_error());
    if (options_.log.durability != storage::Durability::Group) return outcome.set_value({});
    // Through the acknowledging thread, which also answers for the calls a
    // failed log write undoes (Recovery::undo_after_log_failure).
    commits_->when_durable(*offset,
                           [&outcome](base::Result<void> durable) { outcome.set_value(durable); });
  });
  if (!posted) return base::make_error("the node is stopping");
  return answer.get();
}

base::Result<uint64_t> Node::run_call(const std::string& module, const std::string& reducer,
                                      std::span<const uint8_t> args, const std::string& caller,
                                      const std::string& trigger, runtime::CallOrigin origin) {
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

// On the module's executor: the table is not changing meanwhile.
base::Result<Node::Rows> Node::query(const std::string& module, const std::string& table) {
  base::Result<Rows> result = base::make_error("the node is stopping");
  run_for(module, [&] {
    const runtime::Table* t = runtime_->table(module, table);
    if (!t) {
      result = base::make_error(fmt::format("module '{}' has no table '{}'", module, table),
                                base::ErrorCode::NotFound);
      return;
    }
    Rows rows{{}, t->def().row_type, runtime_->schema(module)->types};
    t->for_each([&](const runtime::Bytes& row) { rows.rows.push_back(row); });
    result = std::move(rows);
  });
  return result;
}

base::Result<Node::TablePage> Node::query_page(const std::string& module, const std::string& table,
                                               const std::optional<std::string>& after,
                                               size_t max_rows, size_t max_bytes,
                                               bool as_operator) {
  base::Result<TablePage> result = base::make_error("the node is stopping");
  run_for(module, [&]() {
    result = [&]() -> base::Result<TablePage> {
      const runtime::Table* t = runtime_->table(module, table);
      if (!t)
        return base::make_error(fmt::format("module '{}' has no table '{}'", module, table),
                                base::ErrorCode::NotFound);
      if (t->def().visibility != abi::Visibility::Public && !as_operator)
        return base::make_error(
            fmt::format("table '{}.{}' is private: only the operator may read it (send "
                        "the operator key as Authorization: Bearer KEY; interstice "
                        "query --operator-key DATA_DIR/operator.key)",
                        module, table),
            base::ErrorCode::Forbidden);
      TablePage page{Rows{{}, t->def().row_type, runtime_->schema(module)->types}, std::nullopt};
      std::vector<runtime::Bytes>& rows = page.rows.rows;
      size_t bytes = 0;
      const std::string* last_key = nullptr;
      t->for_each_after(after ? &*after : nullptr,
                        [&](const std::string& key, const runtime::Bytes& row) {
                          if (rows.size() >= std::max<size_t>(1, max_rows) || bytes >= max_bytes) {
                            page.next = *last_key;  // this row starts the next page
                            return false;
                          }
                          rows.push_back(row);
                          bytes += row.size();
                          last_key = &key;
                          return true;
                        });
      return page;
    }();
  });
  return result;
}

}  // namespace interstice::node
