// PeerServer: accepts peer connections over TCP (Asio), authenticates them
// with the handshake, then answers their encrypted messages. Anything
// malformed (a garbage, oversized or truncated frame, a failed handshake, a
// frame that does not authenticate, an unexpected message, a handshake not
// finished in time, a peer that does not read what it is sent) closes that
// one connection with a logged reason; the server carries on. Before a
// connection is authenticated only small Hello and Proof frames are read.
// Every resource a peer can grow is bounded (PeerLimits). A peer's
// subscriptions are the node's (Handlers::on_subscribe); they last as long
// as the connection.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <chrono>
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

#include "base/mutex.h"
#include "base/result.h"
#include "net/identity.h"
#include "net/log.h"
#include "net/messages.h"

namespace interstice::net {

// The bounds of the peer server (docs/protocol.md, "Bounds"); the defaults
// are documented there and set by `interstice start` options.
struct PeerLimits {
  // Open connections, authenticated or not; more are closed as they come.
  size_t max_connections = 256;
  // A connection that has not finished the handshake by then is closed.
  std::chrono::milliseconds handshake_timeout{10'000};
  // Bytes of remembered call outcomes (the oldest are forgotten first).
  size_t outcome_bytes = 16u << 20;
  // Bytes waiting to be sent to one peer; a peer that lets more pile up
  // (a subscriber that does not read) is disconnected.
  size_t send_queue_bytes = 16u << 20;
};

// A remembered (and answered) call error is cut to this many bytes.
inline constexpr size_t kMaxOutcomeError = 1024;

// A subscribing peer's connection, as the node sees it: the subscriptions'
// messages go through it, from any thread, in the order sent.
class PeerChannel {
 public:
  virtual ~PeerChannel() = default;
  // Queues `message` for the peer (never blocks); false once the connection
  // has closed. A peer that lets too much pile up is disconnected
  // (PeerLimits::send_queue_bytes).
  virtual bool send(Message message) = 0;
  virtual const std::string& peer_id() const = 0;
};

class PeerServer {
 public:
  struct Handlers {
    // Runs a peer's reducer call. `reply` must be called exactly once, from
    // any thread, possibly later (say, once the transaction is durable).
    std::function<void(const std::string& peer_id, const CallRequest& call,
                       std::function<void(CallResult)> reply)>
        on_call;
    // A peer subscribes: the handler answers through `channel` (a
    // SubscribeResult, then the events), now or later, from any thread.
    std::function<void(const Subscribe& subscribe, std::shared_ptr<PeerChannel> channel)>
        on_subscribe;
    // The connection of a channel that on_subscribe was given has closed;
    // returns how many subscriptions that ended (for the log).
    std::function<size_t(const PeerChannel* channel)> on_channel_closed;
    // An authenticated peer connected (true) or its connection ended (false).
    std::function<void(const std::string& peer_id, const std::string& address, bool connected)>
        on_peer;
  };

  PeerServer(const Identity& identity, Log log, Handlers handlers = {}, PeerLimits limits = {});
  ~PeerServer();

  // Listens on host:port (0: any free port) and serves on a background thread.
  base::Result<uint16_t> start(const std::string& host, uint16_t port);
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

 private:
  class Session;
  class SessionChannel;
  void accept();
  // After a failed accept (say, EMFILE): logs once, tries again in 100 ms.
  void accept_later(const asio::error_code& ec);

  // Runs a call at most once per (peer, call id) and answers through
  // `reply` (on the server's thread); a repeat waits for, or gets, the first
  // outcome. The latest outcomes are remembered, up to
  // PeerLimits::outcome_bytes.
  void run_once(const std::string& peer_id, const CallRequest& call,
                std::function<void(const CallResult&)> reply);
  void finish_call(const std::pair<std::string, uint64_t>& key, CallResult result);
  // Asks a query (CallRequest::query) and answers through `reply` (on the
  // server's thread); nothing is remembered.
  void ask(const std::string& peer_id, const CallRequest& call,
           std::function<void(const CallResult&)> reply);

  struct Outcome {
    std::optional<CallResult> result;  // empty while the call runs
    std::vector<std::function<void(const CallResult&)>> waiting;
  };
  using OutcomeKey = std::pair<std::string, uint64_t>;
  // What a finished outcome costs in memory, roughly: what outcome_bytes counts.
  static size_t outcome_cost(const OutcomeKey& key, const CallResult& result);
  void forget_old_outcomes();

  const Identity& identity_;
  Log log_;
  Handlers handlers_;
  const PeerLimits limits_;
  // Server thread only: outcomes_, outcome_order_, outcome_bytes_,
  // connections_, refusing_, accept_failing_.
  std::map<OutcomeKey, Outcome> outcomes_;
  std::deque<OutcomeKey> outcome_order_;  // oldest first
  size_t outcome_bytes_ = 0;              // outcome_cost of the finished outcomes
  size_t connections_ = 0;                // open sessions, authenticated or not
  bool refusing_ = false;                 // at max_connections (logged once)
  bool accept_failing_ = false;           // accept failed (logged once)
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_timer_{io_};
  std::thread thread_;
  std::atomic<size_t> authenticated_{0};
  mutable base::Mutex peers_mutex_;
  std::map<const void*, ConnectedPeer> peers_ GUARDED_BY(peers_mutex_);  // by session
};

}  // namespace interstice::net
