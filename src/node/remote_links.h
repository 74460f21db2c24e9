// RemoteLinks: this node's side of its links to other nodes (docs/protocol.md):
// the calls its modules make to remote reducers, and its subscriptions to
// remote tables, over one outgoing connection per peer (net::Outbox).
//
// Contract:
// - send: a remote call is recorded in the ledger as pending, then sent; it
//   is sent again after a reconnection or a restart (resend_pending) until
//   its outcome arrives. The outcome runs the caller's callback reducer as a
//   new transaction, with the outcome in its arguments (so the log has it).
//   A remote query's outcome carries its value, checked against the
//   callback's value type; a query with no answer by its deadline gets a
//   "timed out" outcome instead (QueryDeadlines), and a late answer is
//   dropped.
// - connect_declared: connects to every node the loaded modules declare, and
//   subscribes once per (module, node, table) to the remote tables they
//   subscribe to (`Node.module.table.op`). Subscriptions are renewed on
//   every connection; a module's are kept for the node's life.
// - A change of a subscribed remote table runs the subscriber's reducers as
//   a new transaction (the rows are its arguments); its trigger records where
//   the change stands in the remote log (abi::RemotePosition), and so does
//   the ledger. A subscription starts with the remote table's rows; on every
//   later connection, and after a restart, it resumes after the last change
//   that ran, so nothing that changed meanwhile is missed, and a change seen
//   twice (a transaction's changes resent after a stop in their middle) is
//   skipped. A subscription the peer ends (its module was replaced) is
//   renewed, resuming likewise; one it refuses is logged and not retried on
//   that connection. A stop in the middle of the initial rows starts them
//   again: those may then run twice.
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
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "net/identity.h"
#include "net/known_peers.h"
#include "net/outbox.h"
#include "node/call_ledger.h"
#include "node/executor_pool.h"
#include "node/query_deadlines.h"
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
    // Microseconds since the epoch: the clock transactions are stamped with.
    std::function<int64_t()> now;
    // Optional: each batch sent to a peer (net::Outbox::Handlers::on_sent).
    decltype(net::Outbox::Handlers::on_sent) on_sent;
  };
  RemoteLinks(const net::Identity& identity, net::KnownPeers* known_peers,
              std::map<std::string, std::string> peer_addresses, ExecutorPool& executors,
              runtime::Runtime& runtime, CallLedger& ledger, Hooks hooks);
  ~RemoteLinks();  // closes the connections (their threads may be posting)

  void send(std::vector<runtime::RemoteCall> calls);
  void connect_declared();
  // Sends again every pending call that this process did not send (those
  // recovered from before a restart).
  void resend_pending();
  // The address of the node a module calls `alias`.
  std::string address_of(const std::string& alias, const std::string& declared) const;
  // The links to other nodes and their state.
  std::vector<net::Outbox::LinkStatus> links() { return outbox_->links(); }

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
  // A query's deadline passed with no answer: its callback gets "timed out".
  void time_out(uint64_t call_id);
  // Runs the callback of `call` with its outcome (on the caller's executor).
  void run_callback(const storage::RemoteCallRecord& call, const std::string& peer_id, bool ok,
                    std::string error, const std::optional<abi::Bytes>& value);
  void on_event(const std::string& address, const std::string& peer_id,
                const net::TableEvent& event);
  // The subscriber module of a subscription id (empty if unknown).
  std::string subscriber_of(uint64_t subscription_id);
  // Sets where subscription `s` resumes (on a link's thread).
  void set_resume_point(net::Subscribe& s);
  void on_subscribe_result(const std::string& address, const net::SubscribeResult& r);

  // How far a subscription got, and how it started on this connection.
  struct Progress {
    abi::RemotePosition seen;  // the last change that ran here
    bool resumed = false;      // sent with resume_after
    uint64_t start = 0;        // accepted: its initial rows are at this offset
    bool accepted = false;     // on the current connection
  };
  base::Mutex progress_mutex_;
  std::map<uint64_t, Progress> progress_ GUARDED_BY(progress_mutex_);  // by subscription id

  // The calls send() sent before resend_pending ran (init's, at start).
  base::Mutex sent_mutex_;
  std::set<uint64_t> sent_before_resend_ GUARDED_BY(sent_mutex_);
  bool resent_ GUARDED_BY(sent_mutex_) = false;

  const std::map<std::string, std::string> peer_addresses_;
  ExecutorPool& executors_;
  runtime::Runtime& runtime_;
  CallLedger& ledger_;
  const Hooks hooks_;
  std::vector<RemoteSubscription> remote_subscriptions_;  // exclusive (see above)
  std::unique_ptr<net::Outbox> outbox_;                   // its threads use the above
  std::unique_ptr<QueryDeadlines> deadlines_;             // last: its thread posts time_out
};

}  // namespace interstice::node
