// PeerClient: an outgoing, authenticated and encrypted connection to a peer
// (blocking, with 5 s receive timeouts unless changed). During the handshake
// only small Hello and Proof frames are accepted from the peer (the same
// bound as the server's); after it every frame is encrypted (frame_cipher.h).
// The peer's key is checked against the known peers (trust on first use)
// before the connection is used.
#pragma once

#include <asio.hpp>

#include <deque>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/result.h"
#include "net/frame.h"
#include "net/frame_cipher.h"
#include "net/identity.h"
#include "net/known_peers.h"

namespace interstice::net {

class PeerClient {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<PeerClient>> connect(const std::string& host,
                                                                         uint16_t port,
                                                                         const Identity& identity,
                                                                         KnownPeers* known);
  // Calls `module.reducer(args)` on the peer and returns its outcome.
  base::Result<CallResult> call(uint64_t call_id, const std::string& module,
                                const std::string& reducer, std::vector<uint8_t> args);
  // Pipelining: send calls without waiting, then collect their results in
  // order (the peer answers in the order it received them).
  base::Result<void> send_call(uint64_t call_id, const std::string& module,
                               const std::string& reducer, std::vector<uint8_t> args);
  base::Result<CallResult> receive_result();
  // Sends Ping(nonce) and returns the nonce of the Pong.
  base::Result<uint64_t> ping(uint64_t nonce);
  const std::string& peer_id() const { return peer_id_; }

  // Raw messages. One thread may send while another receives (a link's
  // writer and reader); `shutdown` from any thread ends a blocked receive.
  base::Result<void> send(const Message& message);
  // Several messages in as few frames as fit (one write, one encryption).
  base::Result<void> send(const std::vector<Message>& messages);
  base::Result<Message> receive();
  // 0: a receive waits for as long as it takes (the default is 5 s).
  void set_receive_timeout(int seconds);
  void shutdown();

 private:
  PeerClient() = default;
  // The next frame's payload (reader side).
  base::Result<std::vector<uint8_t>> receive_payload();
  base::Result<void> write(const std::vector<uint8_t>& frame);

  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  FrameReader reader_{kMaxHandshakeFrame};  // reader side
  std::unique_ptr<FrameCipher> cipher_;     // once authenticated
  std::deque<Message> received_;            // reader side: the rest of the last frame
  base::Mutex send_mutex_;                  // one sender at a time (cipher_'s sealing state)
  std::string peer_id_;
};

}  // namespace interstice::net
