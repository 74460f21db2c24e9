#include "node/peer_gateway.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "abi/type_match.h"
#include "storage/tx_record.h"

namespace interstice::node {

PeerGateway::PeerGateway(ExecutorPool& executors, runtime::Runtime& runtime, CallLedger& ledger,
                         CommitPipeline& commits, Hooks hooks)
    : executors_(executors),
      runtime_(runtime),
      ledger_(ledger),
      commits_(commits),
      hooks_(std::move(hooks)) {}

base::Result<std::unique_ptr<PeerGateway>> PeerGateway::start(
    const net::Identity& identity, Options options, ExecutorPool& executors,
    runtime::Runtime& runtime, CallLedger& ledger, CommitPipeline& commits, Hooks hooks) {
  std::unique_ptr<PeerGateway> gateway(
      new PeerGateway(executors, runtime, ledger, commits, std::move(hooks)));
  PeerGateway* raw = gateway.get();
  net::PeerServer::Handlers handlers;
  // Calls run on an executor, never on the I/O thread.
  handlers.on_call = [raw](const std::string& peer, const net::CallRequest& call,
                           std::function<void(net::CallResult)> reply) {
    if (!raw->hooks_.post_for(call.module,
                              [raw, peer, call, reply] { raw->on_call(peer, call, reply); }))
      reply(net::CallResult{call.call_id, false, "the node is stopping"});
  };
  handlers.on_subscribe = [raw](const std::string&, const net::Subscribe& subscribe) {
    return raw->executors_.shared([&] { return raw->check_subscription(subscribe); });
  };
  handlers.on_peer = [raw](const std::string& peer, const std::string& address, bool connected) {
    raw->hooks_.on_link(peer, address, connected);
  };
  gateway->server_ = std::make_unique<net::PeerServer>(
      identity, [](const std::string& line) { spdlog::info("{}", line); }, std::move(handlers),
      options.limits);
  for (const storage::PeerCallRecord& call : ledger.peer_calls())
    gateway->server_->remember(call.peer, call.call_id);
  auto port = gateway->server_->start(options.host, options.port);
  if (!port) return port.take_error();
  gateway->port_ = *port;
  return gateway;
}

PeerGateway::~PeerGateway() {
  stop();
}

void PeerGateway::stop() {
  server_->stop();
}

std::vector<net::PeerServer::ConnectedPeer> PeerGateway::connected_peers() const {
  return server_->connected_peers();
}

void PeerGateway::on_call(const std::string& peer_id, const net::CallRequest& call,
                          std::function<void(net::CallResult)> reply) {
  uint64_t id = call.call_id;
  auto fail = [&](std::string why) { reply(net::CallResult{id, false, std::move(why)}); };
  const abi::ModuleSchema* schema = runtime_.schema(call.module);
  if (!schema) return fail(fmt::format("no module '{}' is loaded", call.module));
  if (schema->visibility != abi::Visibility::Public)
    return fail(fmt::format("module '{}' is private: peers cannot call it", call.module));
  auto offset = hooks_.run_call(call, peer_id);
  if (!offset) return fail(offset.error().message);
  ledger_.remember_peer_call({peer_id, id});
  commits_.when_durable(*offset, [id, reply = std::move(reply)](base::Result<void> durable) {
    reply(net::CallResult{id, durable.ok(), durable ? "" : durable.error().message});
  });
}

std::string PeerGateway::check_subscription(const net::Subscribe& subscribe) {
  const abi::ModuleSchema* schema = runtime_.schema(subscribe.module);
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

void PeerGateway::publish_effects(const runtime::CommittedTransaction& tx, uint64_t offset) {
  if (!server_->has_subscribers()) return;
  std::vector<std::pair<std::string, net::TableEvent>> events;
  for (const runtime::TableEvent* e : tx.effects) {
    if (!server_->has_subscribers(tx.module, e->table)) continue;
    net::TableEvent event;
    event.offset = offset;
    event.kind = static_cast<uint32_t>(e->kind);
    if (e->kind != runtime::EventKind::Insert) event.old_row.data = e->old_row;
    if (e->kind != runtime::EventKind::Delete) event.new_row.data = e->new_row;
    events.emplace_back(e->table, std::move(event));
  }
  if (events.empty()) return;
  commits_.when_durable(offset, [server = server_.get(), module = tx.module,
                                 events = std::move(events)](base::Result<void> durable) {
    if (!durable) return;  // not durable: it did not happen for peers
    for (const auto& [table, event] : events) server->publish(module, table, event);
  });
}

}  // namespace interstice::node
