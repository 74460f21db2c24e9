// PeerServer: accepts peer connections over TCP (Asio), authenticates them
// with the handshake, then answers their messages. Anything malformed (a
// garbage, oversized or truncated frame, a failed handshake, an unexpected
// message, a handshake not finished within 10 s) closes that one connection
// with a logged reason; the server carries on. A peer's subscriptions last as
// long as its connection.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/result.h"
#include "net/identity.h"
#include "net/messages.h"

namespace interstice::net {

class PeerServer {
 public:
  struct Handlers {
    // Runs a peer's reducer call. `reply` must be called exactly once, from
    // any thread, possibly later (say, once the transaction is durable).
    std::function<void(const std::string& peer_id, const CallRequest& call,
                       std::function<void(CallResult)> reply)>
        on_call;
    // Whether a peer may subscribe: empty to accept, else why not.
    std::function<std::string(const std::string& peer_id, const Subscribe& subscribe)> on_subscribe;
    // An authenticated peer connected (true) or its connection ended (false).
    std::function<void(const std::string& peer_id, const std::string& address, bool connected)>
        on_peer;
  };

  PeerServer(const Identity& identity, std::function<void(const std::string&)> log,
             Handlers handlers = {});
  ~PeerServer();

  // Listens on host:port (0: any free port) and serves on a background thread.
  engine::Result<uint16_t> start(const std::string& host, uint16_t port);
  void stop();

  // Connections that completed the handshake and are still open.
  size_t authenticated_peers() const { return authenticated_; }
  struct ConnectedPeer {
    std::string id;       // node id (hex public key)
    std::string address;  // where it connected from
  };
  std::vector<ConnectedPeer> connected_peers() const;

  // Remembers that `peer`'s call `call_id` ran (recovered from the log), so a
  // repeat is answered ok without running. Call before start().
  void remember(const std::string& peer, uint64_t call_id);

  // Sends a committed change of module.table to every peer subscribed to it
  // (`event.subscription_id` is set per subscriber). Thread-safe; one peer
  // receives events in the order they were published.
  void publish(const std::string& module, const std::string& table, const TableEvent& event);
  // Whether any peer subscribes to anything (cheap), or to module.table.
  bool has_subscribers() const { return subscription_count_ > 0; }
  bool has_subscribers(const std::string& module, const std::string& table) const;

 private:
  class Session;
  void accept();

  // Runs a call at most once per (peer, call id) and answers through
  // `reply` (on the server's thread); a repeat waits for, or gets, the first
  // outcome. The last 100,000 outcomes are remembered.
  void run_once(const std::string& peer_id, const CallRequest& call,
                std::function<void(const CallResult&)> reply);
  void finish_call(const std::pair<std::string, uint64_t>& key, CallResult result);
  // Forgets a closed session's subscriptions; returns how many there were.
  size_t drop_subscriptions(const Session* session);

  struct Outcome {
    std::optional<CallResult> result;  // empty while the call runs
    std::vector<std::function<void(const CallResult&)>> waiting;
  };

  const Identity& identity_;
  std::function<void(const std::string&)> log_;
  Handlers handlers_;
  std::map<std::pair<std::string, uint64_t>, Outcome> outcomes_;  // server thread only
  std::deque<std::pair<std::string, uint64_t>> outcome_order_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<size_t> authenticated_{0};
  mutable std::mutex peers_mutex_;
  std::map<const void*, ConnectedPeer> peers_;  // by session
  struct Subscriber {
    std::weak_ptr<Session> session;
    uint64_t subscription_id;
  };
  mutable std::mutex subscriptions_mutex_;
  std::map<std::string, std::vector<Subscriber>> subscriptions_;  // by "module.table"
  std::atomic<size_t> subscription_count_{0};
};

}  // namespace interstice::net
