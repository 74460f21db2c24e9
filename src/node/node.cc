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
  for (abi::Authority granted : installed->grants)  // grants persist across restarts
    if (std::find(node->options_.runtime.grantable.begin(), node->options_.runtime.grantable.end(),
                  granted) == node->options_.runtime.grantable.end())
      node->options_.runtime.grantable.push_back(granted);
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
      *node->commits_, [raw = node.get()] { return raw->capture_snapshot(); },
      [raw = node.get()] {
        return raw->executors_->exclusive([raw] { return raw->capture_snapshot(); });
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
  net::Outbox::Handlers links;
  // What peers send runs on the executor, never on the outbox's threads.
  links.on_result = [raw](const std::string&, const std::string& peer, const net::CallResult& r) {
    std::string module;  // the caller, whose callback runs
    {
      base::MutexLock lock(raw->calls_mutex_);
      auto it = raw->pending_remote_.find(r.call_id);
      if (it == raw->pending_remote_.end()) return;
      module = it->second.caller_module;
    }
    raw->post_for(module, [raw, peer, r] { raw->on_remote_result(peer, r); });
  };
  links.on_event = [raw](const std::string& address, const std::string& peer,
                         const net::TableEvent& e) {
    std::string module = raw->executors_->shared([&] {
      size_t id = e.subscription_id;
      bool known = id > 0 && id <= raw->remote_subscriptions_.size();
      return known ? raw->remote_subscriptions_[id - 1].module : std::string();
    });
    raw->post_for(module, [raw, address, peer, e] { raw->on_remote_event(address, peer, e); });
  };
  links.on_refused = [raw](const std::string& address, const net::SubscribeResult& r) {
    raw->executors_->shared([&] {
      if (r.subscription_id == 0 || r.subscription_id > raw->remote_subscriptions_.size()) return;
      const RemoteSubscription& sub = raw->remote_subscriptions_[r.subscription_id - 1];
      spdlog::error("module '{}': the node {} at {} refused the subscription to {}.{}: {}",
                    sub.module, sub.alias, address, sub.request.module, sub.request.table, r.error);
    });
  };
  links.on_link = [raw](const std::string& address, const std::string& peer, bool connected) {
    raw->executors_->post(
        0, [raw, address, peer, connected] { raw->on_peer_link(peer, address, connected); });
  };
  node->outbox_ =
      std::make_unique<net::Outbox>(node->identity_, node->known_peers_.get(), std::move(links),
                                    [](const std::string& line) { spdlog::info("{}", line); });
  runtime_options.on_remote_calls = [raw = node.get()](std::vector<runtime::RemoteCall> calls) {
    raw->send_remote(std::move(calls));
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
  // Calls that init forwards to other executors run after this section.
  if (auto r = node->executors_->exclusive([&] {
        if (auto loaded = node->load_modules(); !loaded) return loaded;
        auto recovered = node->recover();  // (an init that fails unloads its module)
        node->refresh_schemas();
        return recovered;
      });
      !r)
    return r.take_error();
  node->commits_->start([raw] { return raw->recover_from_log_failure(); });
  if (auto r = node->start_peer_server(); !r) return r.take_error();
  node->display_->start(
      *node->executors_, *node->runtime_,
      [raw](const std::string& module, const std::function<void()>& task) {
        return raw->run_for(module, task);
      },
      [raw] { raw->maybe_snapshot(); });
  // Connect to the remote nodes that loaded modules declare, and subscribe.
  node->executors_->exclusive([&] {
    for (const std::string& name : node->runtime_->module_names())
      for (const abi::NodeDef& peer : node->runtime_->schema(name)->nodes)
        node->outbox_->connect(node->peer_address(peer.alias, peer.address));
    node->subscribe_remote();
    base::MutexLock lock(node->calls_mutex_);
    if (!node->pending_remote_.empty())
      spdlog::info("sending again {} remote call{} that had no outcome before the restart",
                   node->pending_remote_.size(), node->pending_remote_.size() == 1 ? "" : "s");
    for (const auto& [id, call] : node->pending_remote_) node->send_pending(call);
  });
  return node;
}

Node::~Node() {
  if (display_) display_->stop();
  if (peer_server_) peer_server_->stop();  // no more calls from peers
  outbox_.reset();                         // its threads may be waiting to post
  executors_->stop();                      // runs what was posted; the acks still flow
  if (commits_) commits_->stop();          // the acknowledgements still waiting are answered
  peer_server_.reset();
  if (snapshots_) {
    snapshots_->join();  // no executor is left to start another
    if (runtime_ && commits_->last_logged() > snapshots_->newest())
      snapshots_->write(capture_snapshot());
    snapshots_.reset();
  }
  commits_.reset();
}

void Node::send_remote(std::vector<runtime::RemoteCall> calls) {
  base::MutexLock lock(calls_mutex_);
  for (const runtime::RemoteCall& call : calls) {
    storage::RemoteCallRecord& pending = pending_remote_[call.call_id] = remote_call_record(call);
    send_pending(pending);
  }
}

void Node::send_pending(const storage::RemoteCallRecord& call) {
  outbox_->send(peer_address(call.alias, call.address),
                net::CallRequest{call.call_id, call.module, call.reducer, call.args});
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
  if (peer_server_ && peer_server_->has_subscribers()) publish_effects(tx, *offset);
  return {};
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
    // failed log write undoes (recover_from_log_failure).
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
