// Outbox: the links from this node to the remote nodes its modules use. One
// link per address, with a writer thread and, while connected, a reader
// thread. A link connects (and reconnects with backoff, 100 ms doubling to
// 5 s) while it has anything to do; sends queued calls without waiting for
// their outcomes (pipelined); after a reconnect resends the calls whose
// outcome was lost, with the same call ids, so the remote node runs each at
// most once; and subscribes again to every table it subscribed to. A peer
// silent for 15 s (it is pinged after 5 s) counts as disconnected.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "net/identity.h"
#include "net/known_peers.h"
#include "net/log.h"
#include "net/messages.h"

namespace interstice::net {

class Outbox {
 public:
  // Each runs on a link's thread, with no lock of the outbox held.
  struct Handlers {
    std::function<void(const std::string& address, const std::string& peer_id,
                       const CallResult& result)>
        on_result;
    // A change of a subscribed table, in the peer's commit order.
    std::function<void(const std::string& address, const std::string& peer_id,
                       const TableEvent& event)>
        on_event;
    // The peer accepted a subscription, refused it, or ended it (a refused
    // or ended one is not retried on this connection unless renewed).
    std::function<void(const std::string& address, const SubscribeResult& result)>
        on_subscribe_result;
    // Just before a subscription is sent (on every connection): the owner
    // sets where it resumes (Subscribe::resume_after).
    std::function<void(const std::string& address, Subscribe& subscribe)> before_subscribe;
    // The link connected to the peer (true) or lost its connection (false).
    std::function<void(const std::string& address, const std::string& peer_id, bool connected)>
        on_link;
    // A batch of messages went out (or failed to): for traces. Unset: no
    // clock is read.
    std::function<void(const std::string& address, size_t messages,
                       std::chrono::steady_clock::time_point started,
                       std::chrono::steady_clock::time_point ended, bool ok)>
        on_sent;
  };

  Outbox(const Identity& identity, KnownPeers* known, Handlers handlers, Log log);
  ~Outbox();

  // Queues `call` for the node at `address` ("host:port").
  void send(const std::string& address, CallRequest call);
  // Connects to `address` now (and keeps reconnecting), without waiting for
  // a first call: the node does this when a module that declares it loads.
  void connect(const std::string& address);
  // Subscribes on the current and every later connection to `address`.
  void subscribe(const std::string& address, Subscribe subscribe);
  // Sends subscription `subscription_id` to `address` again on the current
  // connection (after the peer ended it).
  void renew(const std::string& address, uint64_t subscription_id);

  // This node's outgoing links, for `interstice node peers`.
  struct LinkStatus {
    std::string address;
    std::string peer_id;  // empty while not connected
    size_t queued_calls = 0;
    size_t calls_in_flight = 0;
    size_t subscriptions = 0;
    std::string last_error;  // why the last attempt to connect failed; empty once connected
  };
  std::vector<LinkStatus> links();

 private:
  struct Link;
  Link* link_for(const std::string& address) REQUIRES(mutex_);  // null once stopping
  void run(Link& link);
  void read(Link& link, std::shared_ptr<class PeerClient> client);

  const Identity& identity_;
  KnownPeers* known_;
  Handlers handlers_;
  Log log_;
  base::Mutex mutex_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::map<std::string, std::unique_ptr<Link>> links_ GUARDED_BY(mutex_);
};

}  // namespace interstice::net
