// The peer server and client against hostile peers: a relayed handshake, a
// tampered, replayed or unencrypted frame after it, oversized or unexpected
// frames before it, and every bound a peer could push (remembered outcomes,
// a subscriber that does not read, connections, the handshake's time).
#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "net/frame.h"
#include "net/handshake.h"
#include "net/peer_client.h"
#include "net/peer_server.h"
#include "support/hostile_frames.h"
#include "support/raw_peer.h"
#include "support/relay.h"
#include "support/temp_dir.h"

namespace interstice::net {
namespace {

using interstice::testing::RawPeer;
using interstice::testing::TempDir;

Identity make_identity(const TempDir& dir, const std::string& name) {
  std::filesystem::create_directories(dir.path() / name);
  return std::move(load_or_create_identity(interstice::base::Env::posix(), dir.path() / name))
      .value();
}

// A PeerServer on loopback whose log lines a test can wait for.
class Server {
 public:
  Server(const Identity& identity, PeerServer::Handlers handlers = {}, PeerLimits limits = {})
      : server_(std::make_unique<PeerServer>(
            identity,
            [this](LogLevel, const std::string& line) {
              std::lock_guard lock(mutex_);
              log_.push_back(line);
            },
            std::move(handlers), limits)),
        port_(*server_->start("127.0.0.1", 0)) {}
  ~Server() { server_.reset(); }  // its thread logs into log_

  PeerServer& operator*() { return *server_; }
  PeerServer* operator->() { return server_.get(); }
  uint16_t port() const { return port_; }
  bool logged(const std::string& text, int tries = 150) {
    for (int i = 0; i < tries; ++i) {
      if (has_logged(text)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  bool has_logged(const std::string& text) {
    std::lock_guard lock(mutex_);
    for (const std::string& l : log_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  std::string log() {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const std::string& l : log_) all += l + "\n";
    return all;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> log_;
  std::unique_ptr<PeerServer> server_;
  uint16_t port_;
};

// M relays C's handshake to S (support/relay.h): S refuses it.
TEST(Relay, AHandshakeRelayedByANodeInTheMiddleIsRefused) {
  TempDir dir;
  Identity c = make_identity(dir, "c"), m = make_identity(dir, "m"), s = make_identity(dir, "s");
  Server server(s);
  auto outcome = interstice::testing::relay_handshake(server.port(), c, m);
  EXPECT_FALSE(outcome.c_connected);
  EXPECT_TRUE(outcome.s_hung_up);
  EXPECT_TRUE(server.logged("signed a handshake with another node")) << server.log();
  EXPECT_FALSE(server.has_logged("peer " + c.id() + " connected")) << server.log();
  EXPECT_EQ(server->authenticated_peers(), 0u);
}

TEST(EncryptedLink, ATamperedReplayedOrUnencryptedFrameClosesTheConnection) {
  TempDir dir;
  Identity s = make_identity(dir, "s"), c = make_identity(dir, "c");
  Server server(s);
  {
    RawPeer peer(server.port());
    ASSERT_TRUE(peer.handshake(c).ok());
    std::vector<uint8_t> ping = peer.seal(Message{Ping{1}});
    peer.write(ping);
    auto pong = peer.receive();
    ASSERT_TRUE(pong && std::holds_alternative<Pong>(pong->value));
    peer.write(ping);  // the same frame again
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(3)));
  }
  {
    RawPeer peer(server.port());
    ASSERT_TRUE(peer.handshake(c).ok());
    std::vector<uint8_t> ping = peer.seal(Message{Ping{2}});
    ping[ping.size() / 2] ^= 0x20;  // one bit on the way
    peer.write(ping);
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(3)));
  }
  {
    RawPeer peer(server.port());
    ASSERT_TRUE(peer.handshake(c).ok());
    peer.write(encode_frame(Message{Ping{3}}));  // in the clear
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(3)));
  }
  EXPECT_TRUE(server.logged("an encrypted frame does not authenticate"));
  EXPECT_FALSE(server.has_logged("unexpected message"));
  // The server goes on.
  auto client = PeerClient::connect("127.0.0.1", server.port(), c, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(*(*client)->ping(4), 4u);
}

TEST(PreAuthentication, TheServerReadsOnlySmallHelloAndProofFrames) {
  TempDir dir;
  Identity s = make_identity(dir, "s"), c = make_identity(dir, "c");
  Server server(s, PeerServer::Handlers{.on_subscribe = [](const Subscribe& sub, auto channel) {
                  channel->send(Message{SubscribeResult{sub.subscription_id, true, "", 0}});
                }});
  {
    RawPeer peer(server.port());
    peer.write(interstice::testing::deep_subscribe_frame());  // 2.4 MB
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(3)));
  }
  {
    RawPeer peer(server.port());  // a small Subscribe, 300 deep: not even decoded
    peer.write(interstice::testing::deep_subscribe_frame(300));
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(3)));
  }
  EXPECT_TRUE(server.logged("exceeds the maximum of 4096"));
  EXPECT_TRUE(
      server.logged("expected Hello (the connection is not authenticated yet), got a "
                    "message of tag 6"));
  auto client = PeerClient::connect("127.0.0.1", server.port(), c, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(*(*client)->ping(1), 1u);
}

// A remote node that answers an outgoing link with a huge or unexpected frame.
TEST(PreAuthentication, TheClientReadsOnlySmallHelloAndProofFrames) {
  TempDir dir;
  Identity c = make_identity(dir, "c");
  for (size_t depth : {size_t{200'000}, size_t{300}}) {
    asio::io_context io;
    asio::ip::tcp::acceptor listener(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::thread hostile([&] {
      asio::ip::tcp::socket socket = listener.accept();
      asio::error_code ec;
      asio::write(socket, asio::buffer(interstice::testing::deep_subscribe_frame(depth)), ec);
      uint8_t buffer[4096];
      while (!ec) socket.read_some(asio::buffer(buffer), ec);  // until the client hangs up
    });
    auto client = PeerClient::connect("127.0.0.1", listener.local_endpoint().port(), c, nullptr);
    hostile.join();
    ASSERT_FALSE(client.ok());
    EXPECT_NE(client.error().message.find(depth > 1000 ? "exceeds the maximum of 4096"
                                                       : "got a message of tag 6"),
              std::string::npos)
        << client.error().message;
  }
}

// A remote node that accepts the connection and says nothing: the handshake
// of an outgoing link ends after its 5 s receive timeout (asio's blocking
// read used to wait again after the timeout, for ever).
TEST(PreAuthentication, TheClientGivesUpOnASilentServer) {
  TempDir dir;
  Identity c = make_identity(dir, "c");
  asio::io_context io;
  asio::ip::tcp::acceptor listener(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::thread silent([&] {
    asio::ip::tcp::socket socket = listener.accept();
    std::this_thread::sleep_for(std::chrono::seconds(6));
  });
  auto start = std::chrono::steady_clock::now();
  auto client = PeerClient::connect("127.0.0.1", listener.local_endpoint().port(), c, nullptr);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("timed out"), std::string::npos) << client.error().message;
  EXPECT_LT(waited, std::chrono::seconds(6));
  silent.join();
}

TEST(Bounds, RememberedOutcomesAreBoundedInBytesAndErrorsAreCut) {
  TempDir dir;
  Identity s = make_identity(dir, "s"), c = make_identity(dir, "c");
  std::atomic<int> runs{0};
  PeerServer::Handlers handlers{
      .on_call = [&](const std::string&, const CallRequest& call, auto reply) {
        ++runs;
        if (call.reducer == "good") return reply(CallResult{call.call_id, true, ""});
        reply(CallResult{call.call_id, false, "no module '" + call.module + "' is loaded"});
      }};
  Server server(s, handlers, PeerLimits{.outcome_bytes = 64 << 10});
  auto client = PeerClient::connect("127.0.0.1", server.port(), c, nullptr);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->call(1, "m", "good", {})->ok);
  std::string huge(256 << 10, 'x');
  for (uint64_t id = 2; id < 102; ++id) {
    auto result = (*client)->call(id, huge, "f", {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_FALSE(result->ok);
    EXPECT_LE(result->error.size(), kMaxOutcomeError);
    EXPECT_TRUE(result->error.ends_with(" [cut]"));
  }
  EXPECT_EQ(runs, 101);
  // 100 outcomes of ~1.3 KB went beyond 64 KiB: the first was forgotten, so
  // its id runs again (a recent one is still answered from memory).
  EXPECT_FALSE((*client)->call(1, "m", "bad", {})->ok);
  EXPECT_EQ(runs, 102);
  EXPECT_FALSE((*client)->call(101, "m", "good", {})->ok);
  EXPECT_EQ(runs, 102);
}

TEST(Bounds, ASubscriberThatDoesNotReadIsDisconnected) {
  TempDir dir;
  Identity s = make_identity(dir, "s"), c = make_identity(dir, "c");
  // The node's side of the subscription: its channel, and whether it closed.
  std::shared_ptr<PeerChannel> held;
  std::atomic<bool> closed{false};
  std::mutex mutex;
  Server server(s,
                PeerServer::Handlers{
                    .on_subscribe =
                        [&](const Subscribe& sub, auto channel) {
                          {
                            std::lock_guard lock(mutex);
                            held = channel;
                          }
                          channel->send(Message{SubscribeResult{sub.subscription_id, true, "", 0}});
                        },
                    .on_channel_closed = [&](const PeerChannel*) -> size_t {
                      closed = true;
                      return 1;
                    }},
                PeerLimits{.send_queue_bytes = 256 << 10});
  RawPeer peer(server.port(), 4096);
  ASSERT_TRUE(peer.handshake(c).ok());
  peer.write(peer.seal(Message{Subscribe{9, "m", "t", "T", {}}}));
  auto accepted = peer.receive();
  ASSERT_TRUE(accepted && std::get<SubscribeResult>(accepted->value).ok);
  TableEvent event;
  event.new_row.data.assign(64 << 10, 7);
  std::shared_ptr<PeerChannel> channel;
  {
    std::lock_guard lock(mutex);
    channel = held;
  }
  ASSERT_NE(channel, nullptr);
  for (int i = 0; i < 400 && !server.has_logged("fell behind"); ++i) {  // up to 25 MiB
    event.offset = i;
    channel->send(Message{event});
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(server.logged("peer " + c.id() + " disconnected: it fell behind: ")) << server.log();
  EXPECT_TRUE(server.logged("the limit is 262144 (--peer-send-queue); dropped its 1 subscription"));
  for (int i = 0; i < 100 && !closed; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(closed);
  EXPECT_FALSE(channel->send(Message{event}));  // the node learns it is gone
}

TEST(Bounds, ConnectionsBeyondTheLimitAreClosedAndTheHandshakeHasATimeLimit) {
  TempDir dir;
  Identity s = make_identity(dir, "s"), c = make_identity(dir, "c");
  Server server(
      s, {},
      PeerLimits{.max_connections = 3, .handshake_timeout = std::chrono::milliseconds(1500)});
  std::vector<std::unique_ptr<RawPeer>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawPeer>(server.port()));
  for (auto& p : idle) ASSERT_TRUE(p->read_payload());  // each got its Hello: accepted
  RawPeer extra(server.port());
  EXPECT_TRUE(extra.closed_within(std::chrono::seconds(1)));
  EXPECT_TRUE(
      server.logged("refusing peer connections: 3 are open, the limit is 3 "
                    "(--peer-max-connections)"));
  // The idle ones never finish the handshake: closed after 1.5 s.
  for (auto& p : idle) EXPECT_TRUE(p->closed_within(std::chrono::seconds(5)));
  EXPECT_TRUE(server.logged("the handshake did not finish within 1500 ms"));
  auto client = PeerClient::connect("127.0.0.1", server.port(), c, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(*(*client)->ping(1), 1u);
}

}  // namespace
}  // namespace interstice::net
