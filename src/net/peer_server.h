// PeerServer: accepts peer connections over TCP (Asio), authenticates them
// with the handshake, then answers their messages. Anything malformed (a
// garbage, oversized or truncated frame, a failed handshake, an unexpected
// message, a handshake not finished within 10 s) closes that one connection
// with a logged reason; the server carries on.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/result.h"
#include "net/identity.h"
#include "net/messages.h"

namespace interstice::net {

class PeerServer {
 public:
  // Runs a peer's reducer call (on the server's thread) and returns its outcome.
  using CallHandler =
      std::function<CallResult(const std::string& peer_id, const CallRequest& call)>;

  PeerServer(const Identity& identity, std::function<void(const std::string&)> log,
             CallHandler on_call = nullptr);
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

 private:
  class Session;
  void accept();

  // The outcome of a call, run at most once per (peer, call id); the last
  // 100,000 outcomes are remembered.
  CallResult run_once(const std::string& peer_id, const CallRequest& call);

  const Identity& identity_;
  std::function<void(const std::string&)> log_;
  CallHandler on_call_;
  std::map<std::pair<std::string, uint64_t>, CallResult> outcomes_;
  std::deque<std::pair<std::string, uint64_t>> outcome_order_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<size_t> authenticated_{0};
  mutable std::mutex peers_mutex_;
  std::map<const void*, ConnectedPeer> peers_;  // by session
};

}  // namespace interstice::net
