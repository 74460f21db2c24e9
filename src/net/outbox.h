// Outbox: sends reducer calls to remote nodes. One link per address, each on
// its own thread: it connects (and reconnects with backoff, 100 ms doubling to
// 5 s), sends the queued calls one at a time, and resends a call whose answer
// was lost with the same call id, so the remote node runs it at most once.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "net/identity.h"
#include "net/known_peers.h"
#include "net/messages.h"

namespace interstice::net {

class Outbox {
 public:
  // `on_result(address, peer_id, result)` runs on the link's thread.
  using ResultHandler = std::function<void(const std::string& address, const std::string& peer_id,
                                           const CallResult&)>;

  Outbox(const Identity& identity, KnownPeers* known, ResultHandler on_result,
         std::function<void(const std::string&)> log);
  ~Outbox();

  // Queues `call` for the node at `address` ("host:port").
  void send(const std::string& address, CallRequest call);
  // Connects to `address` now (and reconnects with backoff after failures),
  // without waiting for a first call: the node does this when a module that
  // declares the node loads.
  void connect(const std::string& address);

 private:
  struct Link;
  Link& link_for(const std::string& address);  // caller holds mutex_
  void run(Link& link);

  const Identity& identity_;
  KnownPeers* known_;
  ResultHandler on_result_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Link>> links_;
};

}  // namespace interstice::net
