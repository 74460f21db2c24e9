// PeerServer: accepts peer connections over TCP (Asio), authenticates them
// with the handshake, then answers their messages. Anything malformed (a
// garbage, oversized or truncated frame, a failed handshake, an unexpected
// message, a handshake not finished within 10 s) closes that one connection
// with a logged reason; the server carries on.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "engine/result.h"
#include "net/identity.h"

namespace interstice::net {

class PeerServer {
 public:
  PeerServer(const Identity& identity, std::function<void(const std::string&)> log);
  ~PeerServer();

  // Listens on host:port (0: any free port) and serves on a background thread.
  engine::Result<uint16_t> start(const std::string& host, uint16_t port);
  void stop();

  // Connections that completed the handshake and are still open.
  size_t authenticated_peers() const { return authenticated_; }

 private:
  class Session;
  void accept();

  const Identity& identity_;
  std::function<void(const std::string&)> log_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<size_t> authenticated_{0};
};

}  // namespace interstice::net
