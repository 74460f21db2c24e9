// The peer protocol: frames, the authentication handshake, trust on first
// use, and a real server on loopback that survives garbage and bad clients.
#include <gtest/gtest.h>
#include <sodium.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "net/frame.h"
#include "net/handshake.h"
#include "net/known_peers.h"
#include "net/peer_client.h"
#include "net/peer_server.h"
#include "support/temp_dir.h"

namespace interstice::net {
namespace {

using interstice::testing::TempDir;

Identity make_identity(const TempDir& dir, const std::string& name) {
  std::filesystem::create_directories(dir.path() / name);
  return std::move(load_or_create_identity(dir.path() / name)).value();
}

TEST(Frames, RoundTripAndRejectOversizedOrGarbage) {
  FrameReader reader;
  std::vector<uint8_t> frame = encode_frame(Message{Ping{42}});
  reader.feed(std::span<const uint8_t>(frame.data(), 3));
  Message m;
  std::string problem;
  EXPECT_EQ(reader.next(&m, &problem), FrameReader::Status::NeedMore);  // truncated so far
  reader.feed(std::span<const uint8_t>(frame.data() + 3, frame.size() - 3));
  ASSERT_EQ(reader.next(&m, &problem), FrameReader::Status::Ready);
  EXPECT_EQ(std::get<Ping>(m.value).nonce, 42u);

  FrameReader oversized;
  std::vector<uint8_t> huge{0xff, 0xff, 0xff, 0x7f};
  oversized.feed(huge);
  EXPECT_EQ(oversized.next(&m, &problem), FrameReader::Status::Error);
  EXPECT_NE(problem.find("exceeds the maximum"), std::string::npos) << problem;

  FrameReader garbage;
  std::vector<uint8_t> junk{3, 0, 0, 0, 9, 9, 9};
  garbage.feed(junk);
  EXPECT_EQ(garbage.next(&m, &problem), FrameReader::Status::Error);
  EXPECT_EQ(problem, "frame of 3 bytes is not a valid message");
}

TEST(Handshake, BothSidesAuthenticateEachOther) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b");
  Handshake ha(a), hb(b);
  auto proof_a = ha.on_hello(hb.hello());
  auto proof_b = hb.on_hello(ha.hello());
  ASSERT_TRUE(proof_a.ok() && proof_b.ok());
  EXPECT_TRUE(ha.on_proof(*proof_b).ok());
  EXPECT_TRUE(hb.on_proof(*proof_a).ok());
  EXPECT_EQ(ha.peer_id(), b.id());
  EXPECT_EQ(hb.peer_id(), a.id());
  EXPECT_EQ(ha.version(), kProtocolMax);
}

TEST(Handshake, ImpostorsAndIncompatibleVersionsAreRefused) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b"), c = make_identity(dir, "c");
  // c claims to be b: it sends b's public key but can only sign with its own.
  Handshake ha(a), hc(c);
  Hello forged = hc.hello();
  forged.public_key.data.assign(b.public_key.begin(), b.public_key.end());
  ASSERT_TRUE(ha.on_hello(forged).ok());
  auto proof_c = hc.on_hello(ha.hello());
  auto refused = ha.on_proof(*proof_c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not verify"), std::string::npos);

  Handshake h1(a);
  Hello future = Handshake(b).hello();
  future.min_version = kProtocolMax + 1;
  future.max_version = kProtocolMax + 5;
  auto incompatible = h1.on_hello(future);
  ASSERT_FALSE(incompatible.ok());
  EXPECT_NE(incompatible.error().message.find("no common protocol version"), std::string::npos);

  Hello short_key = Handshake(b).hello();
  short_key.public_key.data.resize(5);
  EXPECT_FALSE(Handshake(a).on_hello(short_key).ok());
}

TEST(KnownPeers, TrustOnFirstUseAndPinning) {
  TempDir dir;
  std::filesystem::path file = dir.path() / "peers";
  {
    KnownPeers peers(file);
    EXPECT_TRUE(peers.check("127.0.0.1:8080", "aa").ok());
    EXPECT_TRUE(peers.check("127.0.0.1:8080", "aa").ok());
    auto changed = peers.check("127.0.0.1:8080", "bb");
    ASSERT_FALSE(changed.ok());
    EXPECT_NE(changed.error().message.find("presented key bb, but the key aa is known there"),
              std::string::npos)
        << changed.error().message;
    ASSERT_TRUE(peers.pin("127.0.0.1:9000", "cc").ok());
  }
  KnownPeers reloaded(file);  // remembered across restarts
  EXPECT_FALSE(reloaded.check("127.0.0.1:8080", "bb").ok());
  auto pinned = reloaded.check("127.0.0.1:9000", "dd");
  ASSERT_FALSE(pinned.ok());
  EXPECT_NE(pinned.error().message.find("the pinned key cc"), std::string::npos);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_identity_ = make_identity(dir_, "server");
    client_identity_ = make_identity(dir_, "client");
    server_ = std::make_unique<PeerServer>(server_identity_, [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      log_.push_back(line);
    });
    port_ = *server_->start("127.0.0.1", 0);
  }
  // The server's thread logs into log_: stop it before the members go away.
  void TearDown() override { server_.reset(); }
  bool logged(const std::string& text) {
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(mutex_);
        for (const std::string& l : log_)
          if (l.find(text) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Sends raw bytes on a fresh connection, then closes it.
  void send_raw(const std::vector<uint8_t>& bytes) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    asio::write(socket, asio::buffer(bytes));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  TempDir dir_;
  Identity server_identity_, client_identity_;
  std::unique_ptr<PeerServer> server_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> log_;
};

TEST_F(ServerTest, AuthenticatedPingPong) {
  KnownPeers known(dir_.path() / "peers");
  auto client = PeerClient::connect("127.0.0.1", port_, client_identity_, &known);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ((*client)->peer_id(), server_identity_.id());
  EXPECT_EQ(*(*client)->ping(7), 7u);
  EXPECT_TRUE(logged("peer " + client_identity_.id() + " connected from 127.0.0.1:"));
  EXPECT_EQ(server_->authenticated_peers(), 1u);
}

TEST_F(ServerTest, AChangedServerKeyIsRefusedByTheClient) {
  KnownPeers known(dir_.path() / "peers");
  ASSERT_TRUE(known.pin("127.0.0.1:" + std::to_string(port_), std::string(64, '0')).ok());
  auto client = PeerClient::connect("127.0.0.1", port_, client_identity_, &known);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("but the pinned key"), std::string::npos);
}

TEST_F(ServerTest, GarbageFramesCloseOnlyThatConnection) {
  std::mt19937 random(3);
  for (int i = 0; i < 30; ++i) {
    std::vector<uint8_t> junk(1 + random() % 200);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(random());
    send_raw(junk);
  }
  send_raw({0xff, 0xff, 0xff, 0xff});  // oversized
  send_raw({10, 0, 0, 0, 1, 2});       // truncated
  EXPECT_TRUE(logged("exceeds the maximum"));
  EXPECT_TRUE(logged("truncated frame"));
  KnownPeers known(dir_.path() / "peers");
  auto client = PeerClient::connect("127.0.0.1", port_, client_identity_, &known);
  ASSERT_TRUE(client.ok()) << client.error().message;  // the server still serves
  EXPECT_EQ(*(*client)->ping(1), 1u);
}

TEST(CallServer, ARepeatedCallIdRunsOnceAndGetsTheFirstOutcome) {
  TempDir dir;
  Identity server_identity = make_identity(dir, "server"),
           client_identity = make_identity(dir, "client");
  std::atomic<int> runs{0};
  PeerServer server(
      server_identity, [](const std::string&) {},
      PeerServer::Handlers{
          .on_call = [&](const std::string& peer, const CallRequest& call, auto reply) {
            ++runs;
            reply(CallResult{call.call_id, call.reducer == "good",
                             peer == client_identity.id() ? "" : "?"});
          }});
  uint16_t port = *server.start("127.0.0.1", 0);
  auto client = PeerClient::connect("127.0.0.1", port, client_identity, nullptr);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->call(10, "m", "good", {})->ok);
  EXPECT_TRUE((*client)->call(10, "m", "bad", {})->ok);  // same id: the first outcome
  EXPECT_FALSE((*client)->call(11, "m", "bad", {})->ok);
  EXPECT_EQ(runs, 2);
  // A reconnect does not reset it: ids are per calling node.
  auto again = PeerClient::connect("127.0.0.1", port, client_identity, nullptr);
  EXPECT_TRUE((*again)->call(10, "m", "bad", {})->ok);
  EXPECT_EQ(runs, 2);
}

TEST_F(ServerTest, PingBeforeTheHandshakeIsRefused) {
  send_raw(encode_frame(Message{Ping{1}}));
  EXPECT_TRUE(logged("expected Hello"));
}

}  // namespace
}  // namespace interstice::net
