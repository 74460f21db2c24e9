#include "node/peer_gateway.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "abi/type_match.h"
#include "node/network_log.h"
#include "storage/tx_record.h"

namespace interstice::node {

// A peer connection's subscriptions as the client hub's sink: the hub's
// messages become the peer protocol's. Each change carries its
// transaction's offset and how many more changes of it follow, so a
// subscriber can tell where it stopped (abi::RemotePosition). Rows read
// back from the log (a resume) have no old row: an update's old row is then
// its new one.
class PeerGateway::PeerSink final : public ClientSink {
 public:
  explicit PeerSink(std::shared_ptr<net::PeerChannel> channel) : channel_(std::move(channel)) {}

  bool send(ServerMessage message) override {
    if (auto* subscribed = std::get_if<Subscribed>(&message.value)) {
      uint64_t id = subscribed->request_id;
      if (!channel_->send(net::Message{net::SubscribeResult{id, subscribed->ok, subscribed->error,
                                                            subscribed->offset,
                                                            resume_lost(subscribed->error)}}))
        return false;
      size_t n = subscribed->rows.size();
      for (size_t i = 0; i < n; ++i)
        if (!send_event(id, subscribed->offset, n - 1 - i, abi::TableOp::Insert,
                        std::move(subscribed->rows[i]), {}))
          return false;
      return true;
    }
    if (auto* update = std::get_if<Update>(&message.value)) {
      size_t n = update->changes.size();
      for (size_t i = 0; i < n; ++i) {
        RowChange& c = update->changes[i];
        abi::Bytes old_row = c.op == abi::TableOp::Delete ? c.row : c.old_row.value_or(c.row);
        abi::Bytes new_row = c.op == abi::TableOp::Delete ? abi::Bytes{} : std::move(c.row);
        if (!send_event(update->subscription_id, update->offset, n - 1 - i, c.op,
                        std::move(new_row), std::move(old_row)))
          return false;
      }
      return true;
    }
    if (auto* ended = std::get_if<Unsubscribed>(&message.value))  // the node ended it
      return channel_->send(net::Message{net::SubscribeResult{
          ended->subscription_id, false, ended->reason, 0, resume_lost(ended->reason)}});
    return true;
  }
  void describe(uint64_t, const std::string&, const std::vector<abi::TypeDef>&) override {}
  const std::string& peer_id() const { return channel_->peer_id(); }

 private:
  static bool resume_lost(const std::string& why) { return why.starts_with(kCannotResume); }
  bool send_event(uint64_t id, uint64_t offset, size_t rest, abi::TableOp op, abi::Bytes new_row,
                  abi::Bytes old_row) {
    net::TableEvent event;
    event.subscription_id = id;
    event.offset = offset;
    event.rest = static_cast<uint32_t>(std::min<size_t>(rest, UINT32_MAX));
    event.kind = static_cast<uint32_t>(op);
    if (op != abi::TableOp::Insert) event.old_row = std::move(old_row);
    if (op != abi::TableOp::Delete) event.new_row = std::move(new_row);
    return channel_->send(net::Message{std::move(event)});
  }

  const std::shared_ptr<net::PeerChannel> channel_;
};

PeerGateway::PeerGateway(ExecutorPool& executors, runtime::Runtime& runtime, CallLedger& ledger,
                         CommitPipeline& commits, ClientHub& subscriptions, Hooks hooks)
    : executors_(executors),
      runtime_(runtime),
      ledger_(ledger),
      commits_(commits),
      subscriptions_(subscriptions),
      hooks_(std::move(hooks)) {}

base::Result<std::unique_ptr<PeerGateway>> PeerGateway::start(
    const net::Identity& identity, Options options, ExecutorPool& executors,
    runtime::Runtime& runtime, CallLedger& ledger, CommitPipeline& commits,
    ClientHub& subscriptions, Hooks hooks) {
  std::unique_ptr<PeerGateway> gateway(
      new PeerGateway(executors, runtime, ledger, commits, subscriptions, std::move(hooks)));
  PeerGateway* raw = gateway.get();
  net::PeerServer::Handlers handlers;
  // Calls run on an executor, never on the I/O thread.
  handlers.on_call = [raw](const std::string& peer, const net::CallRequest& call,
                           std::function<void(net::CallResult)> reply) {
    if (!raw->hooks_.post_for(call.module,
                              [raw, peer, call, reply] { raw->on_call(peer, call, reply); }))
      reply(net::CallResult{call.call_id, false, "the node is stopping", {}});
  };
  handlers.on_subscribe = [raw](const net::Subscribe& subscribe,
                                std::shared_ptr<net::PeerChannel> channel) {
    raw->on_subscribe(subscribe, std::move(channel));
  };
  handlers.on_channel_closed = [raw](const net::PeerChannel* channel) -> size_t {
    std::shared_ptr<PeerSink> sink;
    {
      base::MutexLock lock(raw->sinks_mutex_);
      auto it = raw->sinks_.find(channel);
      if (it == raw->sinks_.end()) return 0;
      sink = std::move(it->second);
      raw->sinks_.erase(it);
    }
    size_t open = raw->subscriptions_.count(sink.get());
    raw->subscriptions_.drop(sink.get());
    return open;
  };
  handlers.on_peer = [raw](const std::string& peer, const std::string& address, bool connected) {
    raw->hooks_.on_link(peer, address, connected);
  };
  gateway->server_ =
      std::make_unique<net::PeerServer>(identity, log_network, std::move(handlers), options.limits);
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
  auto arrived = std::chrono::steady_clock::now();
  auto fail = [&](std::string why) {
    if (hooks_.on_answered) hooks_.on_answered(call, arrived, false);
    reply(net::CallResult{id, false, std::move(why), {}});
  };
  const abi::ModuleSchema* schema = runtime_.schema(call.module);
  if (!schema) return fail(fmt::format("no module '{}' is loaded", call.module));
  if (schema->visibility != abi::Visibility::Public)
    return fail(fmt::format("module '{}' is private: peers cannot call it", call.module));
  if (call.query) {
    // Answered at once, through the peer's views; nothing is logged.
    runtime::RowFilter filter = row_filter_for(Reader::named(peer_id));
    auto value = runtime_.query(call.module, call.reducer, call.args.data, peer_id, &filter);
    if (!value) return fail(value.error().message);
    if (value->size() > kMaxQueryAnswer)
      return fail(fmt::format("the answer is {} bytes; a peer is sent at most {}", value->size(),
                              kMaxQueryAnswer));
    if (hooks_.on_answered) hooks_.on_answered(call, arrived, true);
    return reply(net::CallResult{id, true, "", abi::Bytes{std::move(*value)}});
  }
  auto offset = hooks_.run_call(call, peer_id);
  if (!offset) return fail(offset.error().message);
  ledger_.remember_peer_call({peer_id, id});
  commits_.when_durable(*offset, [this, call, arrived,
                                  reply = std::move(reply)](base::Result<void> durable) {
    if (hooks_.on_answered) hooks_.on_answered(call, arrived, durable.ok());
    reply(net::CallResult{call.call_id, durable.ok(), durable ? "" : durable.error().message, {}});
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

// Checked in a shared section on the I/O thread, then started on the
// table's module executor, as a client's subscription (ClientHub).
void PeerGateway::on_subscribe(const net::Subscribe& subscribe,
                               std::shared_ptr<net::PeerChannel> channel) {
  uint64_t id = subscribe.subscription_id;
  // Runs here or later on the module's executor: holds copies only.
  auto refuse = [id, channel, module = subscribe.module,
                 table = subscribe.table](const std::string& why) {
    spdlog::info("refused the subscription of peer {} to {}.{}: {}", channel->peer_id(), module,
                 table, why);
    channel->send(
        net::Message{net::SubscribeResult{id, false, why, 0, why.starts_with(kCannotResume)}});
  };
  std::string refused = executors_.shared([&] { return check_subscription(subscribe); });
  if (!refused.empty()) return refuse(refused);
  std::shared_ptr<PeerSink> sink;
  {
    base::MutexLock lock(sinks_mutex_);
    auto& held = sinks_[channel.get()];
    if (!held) held = std::make_shared<PeerSink>(channel);
    sink = held;
  }
  query::SelectQuery query;
  query.module = subscribe.module;
  query.table = subscribe.table;
  std::optional<uint64_t> resume_after = subscribe.resume_after;
  bool posted =
      hooks_.post_for(subscribe.module, [this, sink, id, query, resume_after, channel, refuse] {
        if (subscriptions_.count(sink.get()) >= kMaxSubscriptions)
          return refuse(fmt::format("a peer connection may hold at most {} subscriptions",
                                    kMaxSubscriptions));
        auto started = subscriptions_.subscribe(sink, id, query, resume_after, kMaxSubscriptionRows,
                                                Reader::named(channel->peer_id()));
        if (!started) return refuse(started.error().message);
        spdlog::info("peer {} subscribed to {}.{}{}", channel->peer_id(), query.module, query.table,
                     resume_after ? fmt::format(", resuming after offset {}", *resume_after) : "");
      });
  if (!posted) refuse("the node is stopping");
}

}  // namespace interstice::node
