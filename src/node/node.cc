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
#include "node/json_codec.h"
#include "node/operator_key.h"
#include "node/snapshot_restore.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

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
  node->data_dir_lock_ = std::move(lock).value();
  node->options_.log.on_failure = [raw = node.get()] {
    {
      std::lock_guard lock(raw->acks_mutex_);
      raw->log_failed_ = true;
    }
    raw->acks_changed_.notify_all();
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
  node->log_ = std::move(log).value();
  runtime::RuntimeOptions runtime_options = node->options_.runtime;
  node->start_display();  // the Gpu back-end, if the policy grants Gpu
  runtime_options.gpu = node->gpu_;
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
  links.on_result = [raw](const std::string&, const std::string& peer, const net::CallResult& r) {
    raw->on_remote_result(peer, r);
  };
  links.on_event = [raw](const std::string& address, const std::string& peer,
                         const net::TableEvent& e) { raw->on_remote_event(address, peer, e); };
  links.on_refused = [raw](const std::string& address, const net::SubscribeResult& r) {
    std::lock_guard lock(raw->mutex_);
    if (r.subscription_id == 0 || r.subscription_id > raw->remote_subscriptions_.size()) return;
    const RemoteSubscription& sub = raw->remote_subscriptions_[r.subscription_id - 1];
    spdlog::error("module '{}': the node {} at {} refused the subscription to {}.{}: {}",
                  sub.module, sub.alias, address, sub.request.module, sub.request.table, r.error);
  };
  links.on_link = [raw](const std::string& address, const std::string& peer, bool connected) {
    raw->on_peer_link(peer, address, connected);
  };
  node->outbox_ =
      std::make_unique<net::Outbox>(node->identity_, node->known_peers_.get(), std::move(links),
                                    [](const std::string& line) { spdlog::info("{}", line); });
  runtime_options.on_remote_calls = [raw = node.get()](std::vector<runtime::RemoteCall> calls) {
    raw->send_remote(std::move(calls));  // runs inside a call: the node lock is held
  };
  auto runtime = runtime::Runtime::create(std::move(runtime_options));
  if (!runtime) return runtime.take_error();
  node->runtime_ = std::move(runtime).value();
  if (auto r = node->load_modules(); !r) return r.take_error();
  if (auto r = node->recover(); !r) return r.take_error();
  node->ack_thread_ = std::thread([raw] { raw->acknowledge_loop(); });
  if (auto r = node->start_peer_server(); !r) return r.take_error();
  if (node->gpu_) node->frame_thread_ = std::thread([raw] { raw->frame_loop(); });
  // Connect to the remote nodes that loaded modules declare, and subscribe.
  {
    std::lock_guard lock(node->mutex_);
    for (const std::string& name : node->runtime_->module_names())
      for (const abi::NodeDef& peer : node->runtime_->schema(name)->nodes)
        node->outbox_->connect(node->peer_address(peer.alias, peer.address));
    node->subscribe_remote();
    if (!node->pending_remote_.empty())
      spdlog::info("sending again {} remote call{} that had no outcome before the restart",
                   node->pending_remote_.size(), node->pending_remote_.size() == 1 ? "" : "s");
    for (const auto& [id, call] : node->pending_remote_) node->send_pending(call);
  }
  return node;
}

Node::~Node() {
  stop_display();
  if (peer_server_) peer_server_->stop();  // no more calls from peers
  outbox_.reset();                         // its threads may be waiting for the node lock
  {
    std::lock_guard lock(acks_mutex_);
    stopping_ = true;
  }
  acks_changed_.notify_all();
  if (ack_thread_.joinable()) ack_thread_.join();
  peer_server_.reset();
  std::lock_guard lock(mutex_);
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (runtime_ && log_ && last_logged_ > snapshot_offset_) write_snapshot(capture_snapshot());
  log_.reset();  // its group thread may still call on_failure, which uses acks_mutex_
}

void Node::acknowledge_loop() {
  std::unique_lock lock(acks_mutex_);
  for (;;) {
    acks_changed_.wait(lock, [&] { return stopping_ || !acks_.empty() || log_failed_; });
    if (log_failed_) {
      lock.unlock();
      bool recovered = recover_from_log_failure();
      lock.lock();
      if (!recovered && !stopping_)  // try again soon (acks after the failure have failed)
        acks_changed_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; });
      if (!recovered && stopping_) {
        for (PendingAck& ack : acks_)
          ack.done(base::make_error("the transaction log failed", base::ErrorCode::Failed));
        acks_.clear();
        return;
      }
      continue;
    }
    if (acks_.empty()) return;  // stopping, nothing left
    uint64_t newest = acks_.back().offset;
    lock.unlock();
    auto durable = log_->wait_durable(newest);
    // With durability none the log never syncs: wait_durable returns at once
    // and durable_offset() stays where it was, so what was appended is as
    // durable as it gets (waiting for more spun here and answered nothing).
    // After a failure only what is durable is answered; the rest waits for
    // recover_from_log_failure.
    uint64_t covered = durable && options_.log.durability == storage::Durability::None
                           ? newest
                           : log_->durable_offset();
    std::vector<PendingAck> ready;
    lock.lock();
    if (!durable) log_failed_ = true;  // the rest are answered by recover_from_log_failure
    while (!acks_.empty() && acks_.front().offset <= covered) {
      ready.push_back(std::move(acks_.front()));
      acks_.pop_front();
    }
    lock.unlock();
    for (PendingAck& ack : ready) ack.done(base::Result<void>());
    lock.lock();
  }
}

bool Node::recover_from_log_failure() {
  std::vector<PendingAck> answered;  // to run without the locks
  bool recovered = false;
  {
    std::lock_guard node_lock(mutex_);  // no call runs meanwhile
    // A snapshot being written waits for records the log lost: it gives up.
    if (snapshot_thread_.joinable()) snapshot_thread_.join();
    uint64_t good = log_->good_offset();
    bool undone = last_logged_ <= good;
    if (!undone) {
      uint64_t lost = last_logged_ - good;
      auto rebuilt = [&]() -> base::Result<void> {
        auto from = restore_snapshot(/*logged_only=*/true);
        if (!from) return from.take_error();
        if (*from < good)
          if (auto applied = apply_log(*from + 1, good); !applied) return applied.take_error();
        return {};
      }();
      if (rebuilt) {
        spdlog::error(
            "the transaction log failed to record transactions {} to {}; they are undone "
            "(the logged tables are as of transaction {})",
            good + 1, last_logged_, good);
        last_logged_ = good;
        snapshot_offset_ = std::min(snapshot_offset_, good);
        undone = true;
      } else {
        spdlog::error(
            "the transaction log failed to record {} transactions, and undoing them "
            "failed: {}; retrying",
            lost, rebuilt.error().message);
      }
    }
    if (undone) {
      if (auto reset = log_->reset_after_failure(); reset) {
        recovered = true;
        spdlog::info("the transaction log goes on after transaction {}", good);
      } else {
        spdlog::error("the transaction log cannot go on yet: {}; retrying", reset.error().message);
      }
    }
    // Acknowledgements of records after the good one fail: those records
    // are gone (or will be cut), whatever happens next.
    std::lock_guard lock(acks_mutex_);
    for (PendingAck& ack : acks_) answered.push_back(std::move(ack));
    acks_.clear();
    if (recovered) log_failed_ = false;
    for (PendingAck& ack : answered)  // marks the failed ones
      if (ack.offset > good) ack.offset = UINT64_MAX;
  }
  for (PendingAck& ack : answered)
    ack.done(ack.offset == UINT64_MAX
                 ? base::Result<void>(base::make_error("the transaction log failed to record it"))
                 : base::Result<void>());
  return recovered;
}

base::Result<void> Node::start_peer_server() {
  if (options_.peer_port < 0) return {};
  net::PeerServer::Handlers handlers;
  handlers.on_call = [this](const std::string& peer, const net::CallRequest& call,
                            std::function<void(net::CallResult)> reply) {
    on_peer_call(peer, call, std::move(reply));
  };
  handlers.on_subscribe = [this](const std::string&, const net::Subscribe& subscribe) {
    return check_peer_subscription(subscribe);
  };
  handlers.on_peer = [this](const std::string& peer, const std::string& address, bool connected) {
    on_peer_link(peer, address, connected);
  };
  peer_server_ = std::make_unique<net::PeerServer>(
      identity_, [](const std::string& line) { spdlog::info("{}", line); }, std::move(handlers),
      options_.peer_limits);
  for (const storage::PeerCallRecord& call : peer_calls_)
    peer_server_->remember(call.peer, call.call_id);
  auto port = peer_server_->start(options_.peer_host, static_cast<uint16_t>(options_.peer_port));
  if (!port) return port.take_error();
  peer_port_ = *port;
  return {};
}

std::vector<net::PeerServer::ConnectedPeer> Node::connected_peers() const {
  return peer_server_ ? peer_server_->connected_peers()
                      : std::vector<net::PeerServer::ConnectedPeer>{};
}

void Node::on_peer_call(const std::string& peer_id, const net::CallRequest& call,
                        std::function<void(net::CallResult)> reply) {
  uint64_t id = call.call_id;
  auto fail = [&](std::string why) { reply(net::CallResult{id, false, std::move(why)}); };
  std::lock_guard lock(mutex_);
  const abi::ModuleSchema* schema = runtime_->schema(call.module);
  if (!schema) return fail(fmt::format("no module '{}' is loaded", call.module));
  if (schema->visibility != abi::Visibility::Public)
    return fail(fmt::format("module '{}' is private: peers cannot call it", call.module));
  auto offset = run_call(call.module, call.reducer, call.args.data, peer_id,
                         storage::peer_call_trigger(id), runtime::CallOrigin::Outside);
  if (!offset) return fail(offset.error().message);
  remember_peer_call({peer_id, id});
  queue_ack(*offset, [id, reply = std::move(reply)](base::Result<void> durable) {
    reply(net::CallResult{id, durable.ok(), durable ? "" : durable.error().message});
  });
}

void Node::remember_peer_call(storage::PeerCallRecord call) {
  peer_calls_.push_back(std::move(call));
  if (peer_calls_.size() > 100'000) peer_calls_.pop_front();
}

std::string Node::check_peer_subscription(const net::Subscribe& subscribe) {
  std::lock_guard lock(mutex_);
  const abi::ModuleSchema* schema = runtime_->schema(subscribe.module);
  if (!schema) return fmt::format("no module '{}' is loaded", subscribe.module);
  if (schema->visibility != abi::Visibility::Public)
    return fmt::format("module '{}' is private: peers cannot subscribe to it", subscribe.module);
  const abi::TableDef* table = schema->find_table(subscribe.table);
  if (!table)
    return fmt::format("module '{}' has no table '{}'", subscribe.module, subscribe.table);
  if (table->visibility != abi::Visibility::Public)
    return fmt::format("table '{}.{}' is private: peers cannot subscribe to it", subscribe.module,
                       subscribe.table);
  std::string mismatch =
      abi::type_mismatch(abi::named(subscribe.row_type), abi::TypeResolver(subscribe.types),
                         abi::named(table->row_type), abi::TypeResolver(schema->types));
  if (!mismatch.empty())
    return fmt::format("the subscriber's row type {} does not match {}.{}'s {}: {}",
                       subscribe.row_type, subscribe.module, subscribe.table, table->row_type,
                       mismatch);
  return {};
}

void Node::on_peer_link(const std::string& peer_id, const std::string& address, bool connected) {
  std::lock_guard lock(mutex_);
  std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(peer_id, address));
  runtime_->fire("", connected ? "peer.connect" : "peer.disconnect", args, peer_id);
  maybe_snapshot();
}

// Every "Node.module.table.op" subscription of the loaded modules becomes one
// subscription per (module, node, table), renewed on every connection.
void Node::subscribe_remote() {
  for (const std::string& name : runtime_->module_names()) {
    const abi::ModuleSchema& schema = *runtime_->schema(name);
    for (const abi::SubscriptionDef& sub : schema.subscriptions) {
      std::optional<abi::EventName> event = abi::EventName::parse(sub.event);
      if (!event || event->kind != abi::EventName::Kind::RemoteTable) continue;
      const std::string& alias = event->node;
      const std::string& module = event->module;
      const std::string& table = event->table;
      bool known = std::any_of(remote_subscriptions_.begin(), remote_subscriptions_.end(),
                               [&](const RemoteSubscription& r) {
                                 return r.module == name && r.alias == alias &&
                                        r.request.module == module && r.request.table == table;
                               });
      if (known) continue;
      std::string declared;
      for (const abi::NodeDef& n : schema.nodes)
        if (n.alias == alias) declared = n.address;
      const abi::ReducerDef* reducer = schema.find_reducer(sub.reducer);
      net::Subscribe request{remote_subscriptions_.size() + 1, module, table,
                             reducer->params.at(0).type.name, schema.types};
      RemoteSubscription remote{name, alias, peer_address(alias, declared), request};
      outbox_->subscribe(remote.address, std::move(request));
      remote_subscriptions_.push_back(std::move(remote));
    }
  }
}

// A change of a subscribed remote table runs the subscriber's reducers as a
// new transaction; the row is in its arguments, so the log records it.
void Node::on_remote_event(const std::string& address, const std::string& peer_id,
                           const net::TableEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.subscription_id == 0 || event.subscription_id > remote_subscriptions_.size()) return;
  const RemoteSubscription& sub = remote_subscriptions_[event.subscription_id - 1];
  if (sub.address != address || event.kind > 2) return;
  auto kind = static_cast<runtime::EventKind>(event.kind);
  std::string name =
      abi::EventName{abi::EventName::Kind::RemoteTable, sub.alias, sub.request.module,
                     sub.request.table, static_cast<abi::TableOp>(event.kind)}
          .to_string();
  std::vector<uint8_t> args =
      kind == runtime::EventKind::Insert ? event.new_row.data : event.old_row.data;
  if (kind == runtime::EventKind::Update)
    args.insert(args.end(), event.new_row.data.begin(), event.new_row.data.end());
  runtime_->fire(sub.module, name, args, peer_id);
  maybe_snapshot();
}

void Node::queue_ack(uint64_t offset, std::function<void(base::Result<void>)> done) {
  {
    std::lock_guard lock(acks_mutex_);
    acks_.push_back(PendingAck{offset, std::move(done)});
  }
  acks_changed_.notify_one();
}

void Node::publish_effects(const runtime::CommittedTransaction& tx, uint64_t offset) {
  std::vector<std::pair<std::string, net::TableEvent>> events;
  for (const runtime::TableEvent* e : tx.effects) {
    if (!peer_server_->has_subscribers(tx.module, e->table)) continue;
    net::TableEvent event;
    event.offset = offset;
    event.kind = static_cast<uint32_t>(e->kind);
    if (e->kind != runtime::EventKind::Insert) event.old_row.data = e->old_row;
    if (e->kind != runtime::EventKind::Delete) event.new_row.data = e->new_row;
    events.emplace_back(e->table, std::move(event));
  }
  if (events.empty()) return;
  queue_ack(offset, [server = peer_server_.get(), module = tx.module,
                     events = std::move(events)](base::Result<void> durable) {
    if (!durable) return;  // not durable: it did not happen for peers
    for (const auto& [table, event] : events) server->publish(module, table, event);
  });
}

static storage::RemoteCallRecord to_record(const runtime::RemoteCall& call) {
  return storage::RemoteCallRecord{call.call_id,       call.alias,   call.address,
                                   call.module,        call.reducer, abi::Bytes{call.args},
                                   call.caller_module, call.callback};
}

void Node::send_remote(std::vector<runtime::RemoteCall> calls) {
  for (const runtime::RemoteCall& call : calls) {
    storage::RemoteCallRecord& pending = pending_remote_[call.call_id] = to_record(call);
    send_pending(pending);
  }
}

void Node::send_pending(const storage::RemoteCallRecord& call) {
  outbox_->send(peer_address(call.alias, call.address),
                net::CallRequest{call.call_id, call.module, call.reducer, call.args});
}

// The outcome of a remote call runs the caller's callback reducer as a new
// transaction; the outcome is in its arguments, so the log records it.
void Node::on_remote_result(const std::string& peer_id, const net::CallResult& result) {
  std::lock_guard lock(mutex_);
  auto it = pending_remote_.find(result.call_id);
  if (it == pending_remote_.end()) return;
  std::string module = it->second.caller_module, callback = it->second.callback;
  pending_remote_.erase(it);
  std::vector<uint8_t> args =
      abi::to_bytes(std::make_tuple(result.call_id, result.ok, result.error));
  if (auto r = runtime_->call(module, callback, args, peer_id, storage::kRemoteResultTrigger); !r)
    spdlog::error("callback {}.{} of remote call {}: {}", module, callback, result.call_id,
                  r.error().message);
}

void Node::submit(const std::string& module, const std::string& reducer, std::vector<uint8_t> args,
                  std::function<void(base::Result<void>)> done) {
  std::lock_guard lock(mutex_);
  auto offset = run_call(module, reducer, args);
  if (!offset) return done(base::make_error(offset.error().message, base::ErrorCode::Failed));
  queue_ack(*offset, std::move(done));
}

base::Result<void> Node::record(const runtime::CommittedTransaction& tx) {
  storage::TxRecord record{tx.module,
                           tx.reducer,
                           abi::Bytes{tx.args},
                           tx.inputs.timestamp_us,
                           tx.inputs.random_seed,
                           tx.inputs.caller,
                           tx.trigger,
                           {},
                           {},
                           0,
                           {}};
  record.host_calls = static_cast<uint32_t>(tx.inputs.host_results.size());
  for (uint32_t i = 0; i < record.host_calls; ++i) {
    const runtime::HostResult& r = tx.inputs.host_results[i];
    if (r.value != 0 || !r.data.empty())
      record.host_results.push_back(storage::HostResultRecord{i, r.value, abi::Bytes{r.data}});
  }
  for (const runtime::TableEvent* e : tx.effects) {
    const runtime::Bytes& row = e->kind == runtime::EventKind::Delete ? e->old_row : e->new_row;
    record.effects.push_back(
        storage::RowEffect{e->table, static_cast<storage::EffectKind>(e->kind), abi::Bytes{row}});
  }
  for (const runtime::RemoteCall& call : tx.remote_calls)
    record.remote_calls.push_back(to_record(call));
  std::vector<std::string> tags{record.module};
  for (const storage::RowEffect& e : record.effects) {
    std::string tag = record.module + "." + e.table;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
  }
  auto offset = log_->append(abi::to_bytes(record), tags);
  if (!offset) return offset.take_error();
  last_logged_ = *offset;
  if (peer_server_ && peer_server_->has_subscribers()) publish_effects(tx, *offset);
  return {};
}

base::Result<uint64_t> Node::restore_snapshot(bool logged_only) {
  std::vector<std::string> warnings;
  auto snapshot = storage::read_newest_snapshot(env(), options_.data_dir / "snapshots", &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (!snapshot) return snapshot.take_error();
  if (logged_only) {  // rolling back: the logged tables start from scratch
    for (const std::string& module : runtime_->module_names())
      for (const abi::TableDef& t : runtime_->schema(module)->tables)
        if (t.persistence == abi::Persistence::Logged)
          if (auto r = runtime_->clear_table(module, t.name); !r) return r.take_error();
    initialized_.clear();
    pending_remote_.clear();
    peer_calls_.clear();
  }
  if (!*snapshot) return uint64_t{0};
  if (logged_only)
    std::erase_if((*snapshot)->tables, [&](const storage::TableImage& image) {
      const runtime::Table* t = runtime_->table(image.module, image.table);
      return t && t->def().persistence != abi::Persistence::Logged;
    });
  if (auto r = restore_tables(*runtime_, **snapshot); !r) return r.take_error();
  initialized_.insert((*snapshot)->initialized.begin(), (*snapshot)->initialized.end());
  for (storage::RemoteCallRecord& call : (*snapshot)->pending_calls)
    pending_remote_[call.call_id] = std::move(call);
  for (storage::PeerCallRecord& call : (*snapshot)->peer_calls) remember_peer_call(std::move(call));
  if (!logged_only) spdlog::info("restored the snapshot at offset {}", (*snapshot)->offset);
  return (*snapshot)->offset;
}

base::Result<uint64_t> Node::apply_log(uint64_t from, uint64_t until) {
  std::optional<base::Error> failure;
  uint64_t applied = 0;
  bool reached = false;
  auto read = storage::TransactionLog::read(
      env(), options_.data_dir / "log", from,
      [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (offset > until) return false;
        if (applied == 0 && offset != from) {
          failure = base::make_error(fmt::format(
              "the log resumes at offset {}, but the snapshot ends at {}", offset, from - 1));
          return false;
        }
        auto record = storage::decode_tx_record(payload);
        if (!record) {
          failure = base::make_error(
              fmt::format("log record {} is not a valid transaction record", offset));
          return false;
        }
        if (record->trigger == "init") initialized_.insert(record->module);
        for (const storage::RemoteCallRecord& call : record->remote_calls)
          pending_remote_[call.call_id] = call;
        if (auto id = storage::peer_call_id(record->trigger))
          remember_peer_call({record->caller, *id});
        if (record->trigger == storage::kRemoteResultTrigger)
          if (auto outcome =
                  abi::from_bytes<std::tuple<uint64_t, bool, std::string>>(record->args.data))
            pending_remote_.erase(std::get<0>(*outcome));
        for (const storage::RowEffect& e : record->effects) {
          auto done = runtime_->apply(record->module, static_cast<runtime::EventKind>(e.kind),
                                      e.table, e.row.data);
          if (!done) {
            failure =
                base::make_error(fmt::format("log record {}: {}", offset, done.error().message));
            return false;
          }
        }
        ++applied;
        reached = offset == until;
        return true;
      });
  if (failure) return *failure;
  if (!read && !reached) return read.take_error();
  if (until != UINT64_MAX && !reached)
    return base::make_error(fmt::format("the log ends before transaction {}", until));
  return applied;
}

// Restores the newest snapshot, re-applies the log after it, then runs init
// for modules that never ran it.
base::Result<void> Node::recover() {
  auto restored = restore_snapshot();
  if (!restored) return restored.take_error();
  snapshot_offset_ = *restored;
  // A log that lost its tail before the snapshot's offset (a cut segment):
  // the snapshot holds those transactions, so the log continues after it.
  if (uint64_t last = log_->last_offset(); last < snapshot_offset_) {
    spdlog::warn(
        "the log ends at offset {}, before the snapshot at {}, which holds the transactions it "
        "lost; its segments move to {} and it continues at offset {}",
        last, snapshot_offset_, (options_.data_dir / "log" / "archive").string(),
        snapshot_offset_ + 1);
    if (auto r = log_->continue_at(snapshot_offset_ + 1); !r) return r.take_error();
  }
  auto applied = apply_log(snapshot_offset_ + 1, UINT64_MAX);
  if (!applied) return applied.take_error();
  recovered_ = *applied;
  if (recovered_ > 0) spdlog::info("recovered {} transactions from the log", recovered_);
  last_logged_ = log_->last_offset();
  for (const std::string& name : runtime_->module_names()) {
    if (initialized_.count(name)) continue;
    if (auto r = runtime_->run_init(name); !r)
      spdlog::error("{}", r.error().message);
    else
      initialized_.insert(name);
  }
  return log_->sync();
}

storage::SnapshotData Node::capture_snapshot() {
  storage::SnapshotData data;
  data.offset = last_logged_;
  data.initialized.assign(initialized_.begin(), initialized_.end());
  for (const auto& [id, call] : pending_remote_) data.pending_calls.push_back(call);
  data.peer_calls.assign(peer_calls_.begin(), peer_calls_.end());
  for (runtime::Runtime::TableImage& image : runtime_->export_tables()) {
    storage::TableImage t{image.module, image.table, image.auto_inc_next, {}};
    t.rows.reserve(image.rows.size());
    for (runtime::Bytes& row : image.rows) t.rows.push_back(abi::Bytes{std::move(row)});
    data.tables.push_back(std::move(t));
  }
  return data;
}

// Writes a snapshot once every transaction it includes is durable in the
// log, then applies the retention policy to what it makes unnecessary.
void Node::write_snapshot(storage::SnapshotData data) {
  if (auto r = log_->wait_durable(data.offset); !r) {
    spdlog::error("snapshot at offset {} not written: {}", data.offset, r.error().message);
    return;
  }
  // None: what the snapshot holds must be in the log first (a failed write
  // undoes transactions; a snapshot must never hold them).
  if (options_.log.durability == storage::Durability::None)
    if (auto r = log_->sync(); !r) {
      spdlog::error("snapshot at offset {} not written: {}", data.offset, r.error().message);
      return;
    }
  auto written = storage::write_snapshot(env(), options_.data_dir / "snapshots", data);
  if (!written) {
    spdlog::error("snapshot at offset {} not written: {}", data.offset, written.error().message);
    return;
  }
  if (auto r = storage::apply_retention(env(), options_.data_dir / "log",
                                        options_.data_dir / "snapshots", data.offset,
                                        options_.retention);
      !r)
    spdlog::error("log retention after the snapshot at {} failed: {}", data.offset,
                  r.error().message);
}

void Node::maybe_snapshot() {
  if (options_.snapshot_every == 0 || last_logged_ < snapshot_offset_ + options_.snapshot_every)
    return;
  if (snapshot_thread_.joinable()) snapshot_thread_.join();  // one at a time
  snapshot_offset_ = last_logged_;
  snapshot_thread_ =
      std::thread([this, data = capture_snapshot()]() mutable { write_snapshot(std::move(data)); });
}

// Loads DIR/modules, then the installed modules that are not there any
// more from the store, and records the installed set.
base::Result<void> Node::load_modules() {
  ModuleStore store(env(), options_.data_dir);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  reports_ = load_module_directory(*runtime_, options_.data_dir / "modules");
  std::map<std::string, std::string> hashes;
  for (ModuleLoadReport& r : reports_) {
    if (!r.error.empty()) {
      spdlog::error("{}: not loaded: {}", r.file, r.error);
      continue;
    }
    auto hash = store.put(r.wasm);
    if (!hash) return hash.take_error();
    hashes[r.module] = *hash;
    module_files_[r.module] = r.file;
    r.wasm.clear();
  }
  for (const InstalledModule& m : installed->modules) {
    if (hashes.count(m.name)) continue;
    auto wasm = store.get(m.hash);
    if (!wasm)
      return base::make_error(
          fmt::format("installed module '{}': {}", m.name, wasm.error().message));
    if (auto r = runtime_->load(*wasm, m.name + ".wasm", /*run_init=*/false); !r)
      return base::make_error(fmt::format("installed module '{}': {}", m.name, r.error().message));
    spdlog::info("module '{}' is not in {} any more; loaded its installed copy", m.name,
                 (options_.data_dir / "modules").string());
    hashes[m.name] = m.hash;
  }
  return write_manifest(std::move(hashes));
}

base::Result<void> Node::write_manifest(std::map<std::string, std::string> hashes) {
  Installed now;
  now.grants = options_.runtime.grantable;
  for (const std::string& name : runtime_->module_names())
    now.modules.push_back(InstalledModule{name, hashes[name], *runtime_->schema(name)});
  return ModuleStore(env(), options_.data_dir).write_manifest(now);
}

bool Node::is_operator(const std::string& presented_key) const {
  return operator_key_matches(operator_key_, presented_key);
}

// The installed hashes, from the manifest, of the modules still loaded.
static base::Result<std::map<std::string, std::string>> installed_hashes(const ModuleStore& store) {
  auto manifest = store.read_manifest();
  if (!manifest) return manifest.take_error();
  std::map<std::string, std::string> hashes;
  for (const InstalledModule& m : manifest->modules) hashes[m.name] = m.hash;
  return hashes;
}

base::Result<Node::Published> Node::publish(std::span<const uint8_t> wasm) {
  std::lock_guard lock(mutex_);
  ModuleStore store(env(), options_.data_dir);
  auto hashes = installed_hashes(store);
  if (!hashes) return base::make_error(hashes.error().message, base::ErrorCode::Failed);
  auto hash = store.put(wasm);  // before anything changes: the bytes are safe first
  if (!hash) return base::make_error(hash.error().message, base::ErrorCode::Failed);
  std::map<std::string, std::string> versions;
  for (const std::string& name : runtime_->module_names())
    versions[name] = runtime_->schema(name)->version.to_string();
  auto installed = runtime_->install(wasm, "the published module");
  if (!installed) return base::make_error(installed.error().message, base::ErrorCode::Failed);
  const std::string& name = installed->module;
  if (!installed->replaced) initialized_.insert(name);  // install ran its init
  Published published{name, runtime_->schema(name)->version.to_string(),
                      installed->replaced ? versions[name] : ""};
  (*hashes)[name] = *hash;
  std::string file = module_files_.count(name) ? module_files_[name] : name + ".wasm";
  module_files_[name] = file;
  if (auto r = env().write_atomically(options_.data_dir / "modules" / file, wasm); !r)
    return base::make_error(r.error().message, base::ErrorCode::Failed);
  if (auto r = write_manifest(std::move(*hashes)); !r)
    return base::make_error(r.error().message, base::ErrorCode::Failed);
  for (const abi::NodeDef& peer : runtime_->schema(name)->nodes)
    outbox_->connect(peer_address(peer.alias, peer.address));
  subscribe_remote();
  snapshot_now();
  spdlog::info("published {} {}{}", name, published.version,
               installed->replaced ? " (replacing " + published.previous_version + ")" : "");
  return published;
}

base::Result<void> Node::remove_module(const std::string& module) {
  std::lock_guard lock(mutex_);
  if (!runtime_->schema(module))
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  for (const std::string& other : runtime_->module_names())
    for (const abi::DependencyDef& dep : runtime_->schema(other)->dependencies)
      if (dep.module == module && dep.node.empty())
        return base::make_error(
            fmt::format("module '{}' is needed by '{}'; remove that first", module, other),
            base::ErrorCode::Failed);
  ModuleStore store(env(), options_.data_dir);
  auto hashes = installed_hashes(store);
  if (!hashes) return base::make_error(hashes.error().message, base::ErrorCode::Failed);
  if (auto r = runtime_->unload(module); !r)
    return base::make_error(r.error().message, base::ErrorCode::Failed);
  if (auto it = module_files_.find(module); it != module_files_.end()) {
    std::error_code ec;
    std::filesystem::remove(options_.data_dir / "modules" / it->second, ec);
    module_files_.erase(it);
  }
  initialized_.erase(module);  // installed again later, it starts afresh
  if (auto r = write_manifest(std::move(*hashes)); !r)
    return base::make_error(r.error().message, base::ErrorCode::Failed);
  snapshot_now();
  spdlog::info("removed module {}", module);
  return {};
}

namespace {
constexpr std::pair<const char*, abi::Authority> kAuthorities[] = {{"gpu", abi::Authority::Gpu},
                                                                   {"input", abi::Authority::Input},
                                                                   {"audio", abi::Authority::Audio},
                                                                   {"file", abi::Authority::File}};
}  // namespace

json Node::describe_authorities() {
  std::lock_guard lock(mutex_);
  json out = json::array();
  const auto& granted = runtime_->grantable();
  for (const auto& [name, authority] : kAuthorities) {
    std::string holder = runtime_->authority_holder(authority);
    out.push_back(
        {{"name", name},
         {"granted", std::find(granted.begin(), granted.end(), authority) != granted.end()},
         {"holder", holder.empty() ? json() : json(holder)}});
  }
  return out;
}

base::Result<void> Node::set_authority(const std::string& name, bool granted) {
  const auto* entry = std::find_if(std::begin(kAuthorities), std::end(kAuthorities),
                                   [&](const auto& a) { return name == a.first; });
  if (entry == std::end(kAuthorities))
    return base::make_error(fmt::format("no authority '{}' (gpu, input, audio or file)", name),
                            base::ErrorCode::NotFound);
  std::lock_guard lock(mutex_);
  if (granted)
    runtime_->grant(entry->second);
  else
    runtime_->revoke(entry->second);
  options_.runtime.grantable = runtime_->grantable();
  ModuleStore store(env(), options_.data_dir);
  auto hashes = installed_hashes(store);
  if (!hashes) return base::make_error(hashes.error().message, base::ErrorCode::Failed);
  if (auto r = write_manifest(std::move(*hashes)); !r)
    return base::make_error(r.error().message, base::ErrorCode::Failed);
  spdlog::info("{} the {} authority", granted ? "granted" : "revoked", name);
  return {};
}

base::Result<std::vector<uint8_t>> Node::module_wasm(const std::string& module) {
  std::lock_guard lock(mutex_);
  if (!runtime_->schema(module))
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  ModuleStore store(env(), options_.data_dir);
  auto hashes = installed_hashes(store);
  if (!hashes) return base::make_error(hashes.error().message, base::ErrorCode::Failed);
  auto bytes = store.get((*hashes)[module]);
  if (!bytes) return base::make_error(bytes.error().message, base::ErrorCode::Failed);
  return std::move(bytes).value();
}

void Node::snapshot_now() {
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  snapshot_offset_ = last_logged_;
  write_snapshot(capture_snapshot());
}

base::Result<void> Node::call(const std::string& module, const std::string& reducer,
                              const json& args) {
  std::unique_lock lock(mutex_);
  const abi::ModuleSchema* schema = runtime_->schema(module);
  if (!schema)
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  const abi::ReducerDef* def = schema->find_reducer(reducer);
  if (!def)
    return base::make_error(fmt::format("module '{}' has no reducer '{}'", module, reducer),
                            base::ErrorCode::NotFound);
  if (std::string why; runtime::Runtime::check_access(*schema, *def, runtime::CallOrigin::Outside,
                                                      &why) != abi::Status::Ok)
    return base::make_error(std::move(why), base::ErrorCode::Forbidden);
  abi::Type params = def->params_type();
  abi::TypeResolver types(schema->types);
  auto bytes = json_to_bytes(args, params, types);
  if (!bytes)
    return base::make_error(fmt::format("bad arguments for {}.{}{}: {}", module, reducer,
                                        abi::to_string(params), bytes.error().message),
                            base::ErrorCode::InvalidArgument);
  auto offset =
      run_call(module, reducer, *bytes, kHttpClientCaller, "", runtime::CallOrigin::Outside);
  if (!offset) return base::make_error(offset.error().message, base::ErrorCode::Failed);
  return await_durable(lock, *offset);
}

base::Result<uint64_t> Node::run_call(const std::string& module, const std::string& reducer,
                                      std::span<const uint8_t> args, const std::string& caller,
                                      const std::string& trigger, runtime::CallOrigin origin) {
  if (auto r = runtime_->call(module, reducer, args, caller, trigger, origin); !r)
    return r.take_error();
  maybe_snapshot();
  return last_logged_;
}

base::Result<void> Node::await_durable(std::unique_lock<std::mutex>& lock, uint64_t offset) {
  // Sync: durable already; None: never waited for.
  if (options_.log.durability != storage::Durability::Group) return {};
  // Through the acknowledging thread, which also answers for the calls a
  // failed log write undoes (recover_from_log_failure).
  std::promise<base::Result<void>> outcome;
  std::future<base::Result<void>> answer = outcome.get_future();
  queue_ack(offset, [&outcome](base::Result<void> error) { outcome.set_value(error); });
  lock.unlock();
  return answer.get();
}

std::string Node::peer_address(const std::string& alias, const std::string& declared) const {
  auto it = options_.peer_addresses.find(alias);
  return it != options_.peer_addresses.end() ? it->second : declared;
}

base::Result<json> Node::query(const std::string& module, const std::string& table) {
  std::lock_guard lock(mutex_);
  const runtime::Table* t = runtime_->table(module, table);
  if (!t)
    return base::make_error(fmt::format("module '{}' has no table '{}'", module, table),
                            base::ErrorCode::NotFound);
  json rows = json::array();
  abi::Type row_type = abi::named(t->def().row_type);
  t->for_each([&](const runtime::Bytes& row) {
    rows.push_back(bytes_to_json(row, row_type, t->layout().resolver()));
  });
  return rows;
}

base::Result<Node::TablePage> Node::query_page(const std::string& module, const std::string& table,
                                               const std::optional<std::string>& after,
                                               size_t max_rows, size_t max_bytes,
                                               bool as_operator) {
  // Under the lock only the page's rows (and the module's types) are copied;
  // they become JSON after it is released.
  std::vector<runtime::Bytes> rows;
  std::vector<abi::TypeDef> types;
  abi::Type row_type;
  TablePage page;
  {
    std::lock_guard lock(mutex_);
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
    types = runtime_->schema(module)->types;
    row_type = abi::named(t->def().row_type);
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
  }
  abi::TypeResolver resolver(types);
  page.rows_json = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) page.rows_json += ',';
    page.rows_json += bytes_to_json(rows[i], row_type, resolver).dump();
  }
  page.rows_json += ']';
  return page;
}

json Node::describe_modules() {
  std::lock_guard lock(mutex_);
  json out = json::array();
  for (const std::string& name : runtime_->module_names()) {
    const abi::ModuleSchema& s = *runtime_->schema(name);
    json reducers = json::array();
    for (const abi::ReducerDef& r : s.reducers) {
      json params = json::array();
      for (const abi::Field& p : r.params)
        params.push_back({{"name", p.name}, {"type", abi::to_string(p.type)}});
      reducers.push_back({{"name", r.name}, {"params", params}});
    }
    json tables = json::array();
    for (const abi::TableDef& t : s.tables)
      tables.push_back({{"name", t.name},
                        {"row_type", t.row_type},
                        {"rows", runtime_->table(name, t.name)->size()}});
    out.push_back({{"name", name},
                   {"version", s.version.to_string()},
                   {"visibility", s.visibility == abi::Visibility::Public ? "public" : "private"},
                   {"tables", tables},
                   {"reducers", reducers}});
  }
  return out;
}

}  // namespace interstice::node
