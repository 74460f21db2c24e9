// RemoteLinks: this node's side of its links to other nodes (docs/protocol.md):
// the calls its modules make to remote reducers, and its subscriptions to
// remote tables, over one outgoing connection per peer (net::Outbox).
//
// Contract:
// - send: a remote call is recorded in the ledger as pending, then sent; it
//   is sent again after a reconnection or a restart (resend_pending) until
//   its outcome arrives. The outcome runs the caller's callback reducer as a
//   new transaction, with the outcome in its arguments (so the log has it).
// - connect_declared: connects to every node the loaded modules declare, and
//   subscribes once per (module, node, table) to the remote tables they
//   subscribe to (`Node.module.table.op`). Subscriptions are renewed on
//   every connection; a module's are kept for the node's life.
// - A change of a subscribed remote table runs the subscriber's reducers as
//   a new transaction (the rows are its arguments).
// - An address is the node's override for the alias (NodeOptions::
//   peer_addresses), else what the module declared.
// Every reducer runs on its module's executor, through `post_for`; the
// outbox's threads only post.
//
// Threading: send from executor tasks; connect_declared and resend_pending
// inside exclusive sections (remote_subscriptions_ changes only there; the
// outbox's threads read it in shared sections, and tasks read it freely).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/identity.h"
#include "net/known_peers.h"
#include "net/outbox.h"
#include "node/call_ledger.h"
#include "node/executor_pool.h"
#include "runtime/runtime.h"

namespace interstice::node {

class RemoteLinks {
 public:
  struct Hooks {
    // Posts `task` to the executor of `module` (false if the node is stopping).
    std::function<bool(const std::string& module, std::function<void()> task)> post_for;
    // A connection to a peer opened or closed (from the outbox's threads).
    std::function<void(const std::string& peer_id, const std::string& address, bool connected)>
        on_link;
    // After a task here ran reducers (the node's snapshot check).
    std::function<void()> after_event;
  };
  RemoteLinks(const net::Identity& identity, net::KnownPeers* known_peers,
              std::map<std::string, std::string> peer_addresses, ExecutorPool& executors,
              runtime::Runtime& runtime, CallLedger& ledger, Hooks hooks);
  ~RemoteLinks();  // closes the connections (their threads may be posting)

  void send(std::vector<runtime::RemoteCall> calls);
  void connect_declared();
  // Sends again every pending call (after a restart).
  void resend_pending();
  // The address of the node a module calls `alias`.
  std::string address_of(const std::string& alias, const std::string& declared) const;

 private:
  // One subscription to a remote table: id = index + 1.
  struct RemoteSubscription {
    std::string module;  // the local subscriber
    std::string alias;   // the remote node, as the module names it
    std::string address;
    net::Subscribe request;
  };
  void send_pending(const storage::RemoteCallRecord& call);
  void on_result(const std::string& peer_id, const net::CallResult& result);
  void on_event(const std::string& address, const std::string& peer_id,
                const net::TableEvent& event);
  // The subscriber module of a subscription id (empty if unknown).
  std::string subscriber_of(uint64_t subscription_id);

  const std::map<std::string, std::string> peer_addresses_;
  ExecutorPool& executors_;
  runtime::Runtime& runtime_;
  CallLedger& ledger_;
  const Hooks hooks_;
  std::vector<RemoteSubscription> remote_subscriptions_;  // exclusive (see above)
  std::unique_ptr<net::Outbox> outbox_;                   // last: its threads use the above
};

}  // namespace interstice::node
