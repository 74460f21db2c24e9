// The node's peer side: the peer server and the calls and subscriptions that
// peers make here (the gateway), and this node's links to its peers' tables
// (remote subscriptions and their events). Every handler that runs reducers
// runs on an executor.
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

base::Result<void> Node::start_peer_server() {
  if (options_.peer_port < 0) return {};
  net::PeerServer::Handlers handlers;
  // Calls and link events run on an executor, never on the I/O thread.
  handlers.on_call = [this](const std::string& peer, const net::CallRequest& call,
                            std::function<void(net::CallResult)> reply) {
    if (!post_for(call.module, [this, peer, call, reply] { on_peer_call(peer, call, reply); }))
      reply(net::CallResult{call.call_id, false, "the node is stopping"});
  };
  handlers.on_subscribe = [this](const std::string&, const net::Subscribe& subscribe) {
    return check_peer_subscription(subscribe);
  };
  handlers.on_peer = [this](const std::string& peer, const std::string& address, bool connected) {
    executors_->post(0,
                     [this, peer, address, connected] { on_peer_link(peer, address, connected); });
  };
  peer_server_ = std::make_unique<net::PeerServer>(
      identity_, [](const std::string& line) { spdlog::info("{}", line); }, std::move(handlers),
      options_.peer_limits);
  {
    base::MutexLock lock(calls_mutex_);
    for (const storage::PeerCallRecord& call : peer_calls_)
      peer_server_->remember(call.peer, call.call_id);
  }
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
  const abi::ModuleSchema* schema = runtime_->schema(call.module);
  if (!schema) return fail(fmt::format("no module '{}' is loaded", call.module));
  if (schema->visibility != abi::Visibility::Public)
    return fail(fmt::format("module '{}' is private: peers cannot call it", call.module));
  auto offset = run_call(call.module, call.reducer, call.args.data, peer_id,
                         storage::peer_call_trigger(id), runtime::CallOrigin::Outside);
  if (!offset) return fail(offset.error().message);
  remember_peer_call({peer_id, id});
  commits_->when_durable(*offset, [id, reply = std::move(reply)](base::Result<void> durable) {
    reply(net::CallResult{id, durable.ok(), durable ? "" : durable.error().message});
  });
}

void Node::remember_peer_call(storage::PeerCallRecord call) {
  base::MutexLock lock(calls_mutex_);
  peer_calls_.push_back(std::move(call));
  if (peer_calls_.size() > 100'000) peer_calls_.pop_front();
}

std::string Node::check_peer_subscription(const net::Subscribe& subscribe) {
  return executors_->shared([&] { return check_peer_subscription_now(subscribe); });
}

std::string Node::check_peer_subscription_now(const net::Subscribe& subscribe) {
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

// On an executor: the subscribers of other executors' modules get it as a
// message (Runtime::fire forwards it).
void Node::on_peer_link(const std::string& peer_id, const std::string& address, bool connected) {
  std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(peer_id, address));
  runtime_->fire("", connected ? "peer.connect" : "peer.disconnect", args, peer_id,
                 executors_->current());
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
  if (event.subscription_id == 0 || event.subscription_id > remote_subscriptions_.size()) return;
  const RemoteSubscription& sub = remote_subscriptions_[event.subscription_id - 1];
  if (sub.address != address || event.kind > 2) return;
  auto kind = static_cast<runtime::EventKind>(event.kind);
  std::string name = abi::EventName{abi::EventName::Kind::RemoteTable, sub.alias,
                                    sub.request.module, sub.request.table, kind}
                         .to_string();
  std::vector<uint8_t> args =
      kind == runtime::EventKind::Insert ? event.new_row.data : event.old_row.data;
  if (kind == runtime::EventKind::Update)
    args.insert(args.end(), event.new_row.data.begin(), event.new_row.data.end());
  runtime_->fire(sub.module, name, args, peer_id, executors_->current());
  maybe_snapshot();
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
  commits_->when_durable(offset, [server = peer_server_.get(), module = tx.module,
                                  events = std::move(events)](base::Result<void> durable) {
    if (!durable) return;  // not durable: it did not happen for peers
    for (const auto& [table, event] : events) server->publish(module, table, event);
  });
}

// The outcome of a remote call runs the caller's callback reducer as a new
// transaction; the outcome is in its arguments, so the log records it.
void Node::on_remote_result(const std::string& peer_id, const net::CallResult& result) {
  std::string module, callback;
  {
    base::MutexLock lock(calls_mutex_);
    auto it = pending_remote_.find(result.call_id);
    if (it == pending_remote_.end()) return;  // answered already
    module = it->second.caller_module;
    callback = it->second.callback;
    pending_remote_.erase(it);
  }
  std::vector<uint8_t> args =
      abi::to_bytes(std::make_tuple(result.call_id, result.ok, result.error));
  if (auto r = runtime_->call(module, callback, args, peer_id, storage::kRemoteResultTrigger); !r)
    spdlog::error("callback {}.{} of remote call {}: {}", module, callback, result.call_id,
                  r.error().message);
}

std::string Node::peer_address(const std::string& alias, const std::string& declared) const {
  auto it = options_.peer_addresses.find(alias);
  return it != options_.peer_addresses.end() ? it->second : declared;
}

}  // namespace interstice::node
