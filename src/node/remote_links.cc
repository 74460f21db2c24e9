#include "node/remote_links.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "abi/event_name.h"
#include "abi/serialize.h"
#include "node/commit_pipeline.h"
#include "node/network_log.h"
#include "node/tx_record_encoder.h"

namespace interstice::node {

RemoteLinks::RemoteLinks(const net::Identity& identity, net::KnownPeers* known_peers,
                         std::map<std::string, std::string> peer_addresses, ExecutorPool& executors,
                         runtime::Runtime& runtime, CallLedger& ledger, Hooks hooks)
    : peer_addresses_(std::move(peer_addresses)),
      executors_(executors),
      runtime_(runtime),
      ledger_(ledger),
      hooks_(std::move(hooks)) {
  net::Outbox::Handlers handlers;
  // What peers send runs on the executor, never on the outbox's threads.
  handlers.on_result = [this](const std::string&, const std::string& peer,
                              const net::CallResult& r) {
    std::string caller = ledger_.caller_of(r.call_id);  // whose callback runs
    if (caller.empty()) return;                         // answered already
    hooks_.post_for(caller, [this, peer, r] { on_result(peer, r); });
  };
  handlers.on_event = [this](const std::string& address, const std::string& peer,
                             const net::TableEvent& e) {
    std::string module = subscriber_of(e.subscription_id);
    hooks_.post_for(module, [this, address, peer, e] { on_event(address, peer, e); });
  };
  handlers.on_subscribe_result = [this](const std::string& address, const net::SubscribeResult& r) {
    on_subscribe_result(address, r);
  };
  handlers.before_subscribe = [this](const std::string&, net::Subscribe& s) {
    set_resume_point(s);
  };
  handlers.on_link = [this](const std::string& address, const std::string& peer, bool connected) {
    hooks_.on_link(peer, address, connected);
  };
  handlers.on_sent = hooks_.on_sent;
  outbox_ = std::make_unique<net::Outbox>(identity, known_peers, std::move(handlers), log_network);
  deadlines_ = std::make_unique<QueryDeadlines>(hooks_.now, [this](uint64_t call_id) {
    std::string caller = ledger_.caller_of(call_id);
    if (!caller.empty()) hooks_.post_for(caller, [this, call_id] { time_out(call_id); });
  });
  deadlines_->start();
}

RemoteLinks::~RemoteLinks() {
  deadlines_.reset();
  outbox_.reset();
}

void RemoteLinks::send(std::vector<runtime::RemoteCall> calls) {
  for (const runtime::RemoteCall& call : calls) {
    storage::RemoteCallRecord pending = remote_call_record(call);
    ledger_.add_pending(pending);
    {
      base::MutexLock lock(sent_mutex_);
      if (!resent_) sent_before_resend_.insert(pending.call_id);
    }
    if (pending.query) deadlines_->add(pending.call_id, pending.deadline_us);
    send_pending(pending);
  }
}

void RemoteLinks::resend_pending() {
  std::vector<storage::RemoteCallRecord> pending;
  {
    base::MutexLock lock(sent_mutex_);
    for (storage::RemoteCallRecord& call : ledger_.pending())
      if (!sent_before_resend_.contains(call.call_id)) pending.push_back(std::move(call));
    sent_before_resend_.clear();
    resent_ = true;
  }
  if (!pending.empty())
    spdlog::info("sending again {} remote call{} that had no outcome before the restart",
                 pending.size(), pending.size() == 1 ? "" : "s");
  for (const storage::RemoteCallRecord& call : pending) {
    if (call.query) deadlines_->add(call.call_id, call.deadline_us);  // passed: at once
    send_pending(call);
  }
}

void RemoteLinks::send_pending(const storage::RemoteCallRecord& call) {
  outbox_->send(address_of(call.alias, call.address),
                net::CallRequest{call.call_id, call.module, call.reducer, call.args, call.query});
}

std::string RemoteLinks::address_of(const std::string& alias, const std::string& declared) const {
  auto it = peer_addresses_.find(alias);
  return it != peer_addresses_.end() ? it->second : declared;
}

std::string RemoteLinks::subscriber_of(uint64_t id) {
  return executors_.shared([&] {
    bool known = id > 0 && id <= remote_subscriptions_.size();
    return known ? remote_subscriptions_[id - 1].module : std::string();
  });
}

// Every "Node.module.table.op" subscription of the loaded modules becomes one
// subscription per (module, node, table), renewed on every connection.
void RemoteLinks::connect_declared() {
  for (const std::string& name : runtime_.module_names()) {
    const abi::ModuleSchema& schema = *runtime_.schema(name);
    for (const abi::NodeDef& peer : schema.nodes)
      outbox_->connect(address_of(peer.alias, peer.address));
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
      RemoteSubscription remote{name, alias, address_of(alias, declared), request};
      {
        base::MutexLock lock(progress_mutex_);
        progress_[request.subscription_id].seen =
            ledger_.remote_position(name, alias, module, table);
      }
      outbox_->subscribe(remote.address, std::move(request));
      remote_subscriptions_.push_back(std::move(remote));
    }
  }
}

// A change of a subscribed remote table runs the subscriber's reducers as a
// new transaction; the row is in its arguments, so the log records it.
void RemoteLinks::on_event(const std::string& address, const std::string& peer_id,
                           const net::TableEvent& event) {
  if (event.subscription_id == 0 || event.subscription_id > remote_subscriptions_.size()) return;
  const RemoteSubscription& sub = remote_subscriptions_[event.subscription_id - 1];
  if (sub.address != address || event.kind > 2) return;
  abi::RemotePosition position{event.offset, event.rest, false};
  {
    base::MutexLock lock(progress_mutex_);
    Progress& p = progress_[event.subscription_id];
    position.initial = !p.resumed && event.offset == p.start;
    const abi::RemotePosition& seen = p.seen;
    // Ran already: an earlier transaction, or an earlier change of this one
    // (changes of one transaction come with `rest` counting down).
    if (event.offset < seen.offset || (event.offset == seen.offset && event.rest >= seen.rest &&
                                       position.initial == seen.initial))
      return;
    p.seen = position;
  }
  auto kind = static_cast<runtime::EventKind>(event.kind);
  abi::EventName name{abi::EventName::Kind::RemoteTable, sub.alias, sub.request.module,
                      sub.request.table, kind};
  std::vector<uint8_t> args =
      kind == runtime::EventKind::Insert ? event.new_row.data : event.old_row.data;
  if (kind == runtime::EventKind::Update)
    args.insert(args.end(), event.new_row.data.begin(), event.new_row.data.end());
  runtime_.fire(sub.module, name, args, peer_id, executors_.current(), position);
  ledger_.note_remote_position(
      {sub.module, sub.alias, sub.request.module, sub.request.table, position});
  hooks_.after_event();
}

// Where a subscription resumes: after the last change that ran here, or
// (fresh) from the table's rows. A transaction whose changes stopped in the
// middle is asked for again (its changes that ran are skipped); initial rows
// that stopped in the middle start again.
void RemoteLinks::set_resume_point(net::Subscribe& s) {
  base::MutexLock lock(progress_mutex_);
  Progress& p = progress_[s.subscription_id];
  const abi::RemotePosition& seen = p.seen;
  s.resume_after.reset();
  if (seen.offset > 0 && !(seen.initial && seen.rest > 0))
    s.resume_after = seen.rest == 0 ? seen.offset : seen.offset - 1;
  p.resumed = s.resume_after.has_value();
  p.accepted = false;
}

void RemoteLinks::on_subscribe_result(const std::string& address, const net::SubscribeResult& r) {
  bool renew = false;
  bool lost = false;
  {
    base::MutexLock lock(progress_mutex_);
    auto it = progress_.find(r.subscription_id);
    if (it == progress_.end()) return;
    Progress& p = it->second;
    if (r.ok) {
      p.accepted = true;
      p.start = r.offset;
      return;
    }
    renew = p.accepted;  // it was accepted, and the peer ended it
    p.accepted = false;
    if (r.resume_lost && p.resumed) {
      // The changes since the last one that ran here are gone from the
      // peer's log: start afresh from its rows (set_resume_point).
      p.seen = {};
      renew = true;
      lost = true;
    }
  }
  executors_.shared([&] {
    if (r.subscription_id == 0 || r.subscription_id > remote_subscriptions_.size()) return;
    const RemoteSubscription& sub = remote_subscriptions_[r.subscription_id - 1];
    if (lost)
      spdlog::warn(
          "module '{}': the node {} at {} cannot resume the subscription to {}.{} ({}); "
          "the changes it missed are lost: subscribing afresh, its rows arrive again as inserts",
          sub.module, sub.alias, address, sub.request.module, sub.request.table, r.error);
    else if (renew)
      spdlog::info(
          "module '{}': the node {} at {} ended the subscription to {}.{} ({}); "
          "subscribing again",
          sub.module, sub.alias, address, sub.request.module, sub.request.table, r.error);
    else
      spdlog::error("module '{}': the node {} at {} refused the subscription to {}.{}: {}",
                    sub.module, sub.alias, address, sub.request.module, sub.request.table, r.error);
  });
  if (renew) outbox_->renew(address, r.subscription_id);
}

// The outcome of a remote call runs the caller's callback reducer as a new
// transaction; the outcome is in its arguments, so the log records it.
void RemoteLinks::on_result(const std::string& peer_id, const net::CallResult& result) {
  std::optional<storage::RemoteCallRecord> call = ledger_.take_pending(result.call_id);
  if (!call) return;  // answered already, or timed out
  deadlines_->forget(call->call_id);
  run_callback(*call, peer_id, result.ok, result.error, result.value);
}

void RemoteLinks::time_out(uint64_t call_id) {
  std::optional<storage::RemoteCallRecord> call = ledger_.take_pending(call_id);
  if (!call) return;  // answered meanwhile
  run_callback(*call, "", false,
               fmt::format("timed out: the node {} did not answer the query {}.{} in time",
                           call->alias, call->module, call->reducer),
               std::nullopt);
}

// The callback's arguments: (call id, ok, error) and, if it takes a fourth
// (a remote query's), the value as an optional of its type: present when
// the answer is ok and decodes as that type, which the node checks here (the
// peer's type is its own); otherwise the outcome is a failure saying so.
void RemoteLinks::run_callback(const storage::RemoteCallRecord& call, const std::string& peer_id,
                               bool ok, std::string error, const std::optional<abi::Bytes>& value) {
  const abi::ModuleSchema* schema = runtime_.schema(call.caller_module);
  const abi::ReducerDef* callback = schema ? schema->find_reducer(call.callback) : nullptr;
  bool takes_value = callback && callback->params.size() == 4;
  if (takes_value && ok && call.query) {
    const abi::Type& type = callback->params[3].type.args.at(0);
    std::string why = value ? abi::validate(value->data, type, abi::TypeResolver(schema->types))
                            : std::string("it has no value");
    if (!why.empty()) {
      ok = false;
      error = fmt::format("the answer to {}.{} is not a {}: {}", call.module, call.reducer,
                          abi::to_string(type), why);
    }
  }
  std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(call.call_id, ok, error));
  if (takes_value) {  // the optional's tag, then the value (a reducer call has none)
    bool has_value = ok && call.query;
    args.push_back(has_value ? 1 : 0);
    if (has_value) args.insert(args.end(), value->data.begin(), value->data.end());
  }
  if (auto r = runtime_.call(call.caller_module, call.callback, args, peer_id,
                             abi::Trigger::remote_result());
      !r)
    spdlog::error("callback {}.{} of remote call {}: {}", call.caller_module, call.callback,
                  call.call_id, r.error().message);
  hooks_.after_event();
}

}  // namespace interstice::node
