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
  return std::move(load_or_create_identity(interstice::base::Env::posix(), dir.path() / name))
      .value();
}

TEST(Frames, RoundTripAndRejectOversized) {
  FrameReader reader;
  std::vector<uint8_t> frame = encode_frame(Message{Ping{42}});
  reader.feed(std::span<const uint8_t>(frame.data(), 3));
  std::vector<uint8_t> payload;
  std::string problem;
  EXPECT_EQ(reader.next(&payload, &problem), FrameReader::Status::NeedMore);  // truncated so far
  reader.feed(std::span<const uint8_t>(frame.data() + 3, frame.size() - 3));
  ASSERT_EQ(reader.next(&payload, &problem), FrameReader::Status::Ready);
  EXPECT_EQ(std::get<Ping>(abi::from_bytes<Message>(payload)->value).nonce, 42u);

  FrameReader oversized;
  std::vector<uint8_t> huge{0xff, 0xff, 0xff, 0x7f};
  oversized.feed(huge);
  EXPECT_EQ(oversized.next(&payload, &problem), FrameReader::Status::Error);
  EXPECT_NE(problem.find("exceeds the maximum"), std::string::npos) << problem;

  // Before the handshake the bound is 4 KiB; after it, 16 MiB and the tag.
  FrameReader handshake_reader;
  std::vector<uint8_t> five_kib{0, 20, 0, 0};
  handshake_reader.feed(five_kib);
  EXPECT_EQ(handshake_reader.next(&payload, &problem), FrameReader::Status::Error);
  EXPECT_EQ(problem, "frame of 5120 bytes exceeds the maximum of 4096");
  FrameReader authenticated(kMaxFrame);
  authenticated.feed(five_kib);
  EXPECT_EQ(authenticated.next(&payload, &problem), FrameReader::Status::NeedMore);
}

TEST(Frames, AnEncryptedFramesPlaintextHoldsMessagesEachWithItsLength) {
  std::vector<uint8_t> plaintext;
  append_message(plaintext, Message{Ping{1}});
  append_message(plaintext, Message{Pong{2}});
  auto messages = split_messages(plaintext);
  ASSERT_TRUE(messages.ok()) << messages.error().message;
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ(std::get<Pong>((*messages)[1].value).nonce, 2u);
  plaintext.push_back(9);  // a length cut short
  EXPECT_EQ(split_messages(plaintext).error().message, "a message's length goes beyond its frame");
  std::vector<uint8_t> long_length{200, 0, 0, 0, 2, 0, 0, 0};
  EXPECT_FALSE(split_messages(long_length).ok());
  std::vector<uint8_t> garbage{3, 0, 0, 0, 9, 9, 9};
  EXPECT_EQ(split_messages(garbage).error().message,
            "a message of 3 bytes does not decode as a Message");
  EXPECT_FALSE(split_messages({}).ok());
}

TEST(Handshake, OnlyTheExpectedMessageIsDecodedBeforeAuthentication) {
  std::vector<uint8_t> ping = abi::to_bytes(Message{Ping{1}});
  auto refused = decode_hello(ping);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "expected Hello (the connection is not authenticated yet), got a message of tag 2");
  EXPECT_FALSE(decode_proof(std::vector<uint8_t>{1, 0, 0, 0, 9}).ok());  // Proof, malformed
  EXPECT_FALSE(decode_hello(std::vector<uint8_t>{0, 0}).ok());
}

TEST(Handshake, BothSidesAuthenticateEachOtherAndShareTheLinkKeys) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b");
  Handshake ha(a, Role::Connecting), hb(b, Role::Accepting);
  auto proof_a = ha.on_hello(hb.hello());
  auto proof_b = hb.on_hello(ha.hello());
  ASSERT_TRUE(proof_a.ok() && proof_b.ok());
  EXPECT_TRUE(ha.on_proof(*proof_b).ok());
  EXPECT_TRUE(hb.on_proof(*proof_a).ok());
  EXPECT_EQ(ha.peer_id(), b.id());
  EXPECT_EQ(hb.peer_id(), a.id());
  EXPECT_EQ(ha.version(), kProtocolMax);
  auto ca = ha.take_cipher(), cb = hb.take_cipher();
  std::vector<uint8_t> frame = ca->seal_frame(abi::to_bytes(Message{Ping{5}}));
  std::span<const uint8_t> payload(frame.data() + 4, frame.size() - 4);
  auto opened = cb->open(payload);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(std::get<Ping>(abi::from_bytes<Message>(*opened)->value).nonce, 5u);
  // The same frame again (a replay) does not open; nor does a changed one.
  EXPECT_FALSE(cb->open(payload).ok());
  std::vector<uint8_t> next = ca->seal_frame(abi::to_bytes(Message{Ping{6}}));
  next[10] ^= 1;
  EXPECT_FALSE(cb->open(std::span<const uint8_t>(next.data() + 4, next.size() - 4)).ok());
  // And the other direction has its own key.
  std::vector<uint8_t> back = cb->seal_frame(abi::to_bytes(Message{Pong{7}}));
  EXPECT_TRUE(ca->open(std::span<const uint8_t>(back.data() + 4, back.size() - 4)).ok());
}

TEST(Handshake, ImpostorsAndIncompatibleVersionsAreRefused) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b"), c = make_identity(dir, "c");
  // c claims to be b: it sends b's public key but can only sign with its own.
  Handshake ha(a, Role::Accepting), hc(c, Role::Connecting);
  Hello forged = hc.hello();
  forged.public_key.data.assign(b.public_key.begin(), b.public_key.end());
  ASSERT_TRUE(ha.on_hello(forged).ok());
  auto proof_c = hc.on_hello(ha.hello());
  auto refused = ha.on_proof(*proof_c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not verify"), std::string::npos);

  Handshake h1(a, Role::Accepting);
  Hello future = Handshake(b, Role::Connecting).hello();
  future.min_version = kProtocolMax + 1;
  future.max_version = kProtocolMax + 5;
  auto incompatible = h1.on_hello(future);
  ASSERT_FALSE(incompatible.ok());
  EXPECT_NE(incompatible.error().message.find("no common protocol version"), std::string::npos);

  Hello short_key = Handshake(b, Role::Connecting).hello();
  short_key.public_key.data.resize(5);
  EXPECT_FALSE(Handshake(a, Role::Accepting).on_hello(short_key).ok());
}

// A node of protocol version 1 sends the same Hello layout with versions 1..1:
// it is refused with a reason that says what to do.
TEST(Handshake, ProtocolVersionOneIsRefusedClearly) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b");
  Hello old = Handshake(b, Role::Connecting).hello();
  old.min_version = old.max_version = 1;
  std::vector<uint8_t> payload = abi::to_bytes(Message{old});
  auto decoded = decode_hello(payload);
  ASSERT_TRUE(decoded.ok());
  auto refused = Handshake(a, Role::Accepting).on_hello(*decoded);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "no common protocol version (peer speaks 1..1, this node 4..4): the peer runs an "
            "older Interstice whose handshake can be relayed and whose links are not "
            "encrypted; upgrade it");
}

// A node of protocol version 2 (subscriptions without resume) or 3 (no
// queries) is told so, and a newer one is told to upgrade this node.
TEST(Handshake, OtherVersionsAreRefusedWithWhatToUpgrade) {
  TempDir dir;
  Identity a = make_identity(dir, "a"), b = make_identity(dir, "b");
  Hello older = Handshake(b, Role::Connecting).hello();
  older.min_version = older.max_version = 2;
  auto refused = Handshake(a, Role::Accepting).on_hello(older);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("(peer speaks 2..2, this node 4..4): the peer runs an "
                                         "older Interstice whose subscriptions cannot resume"),
            std::string::npos)
      << refused.error().message;
  older.min_version = older.max_version = 3;
  refused = Handshake(a, Role::Accepting).on_hello(older);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("(peer speaks 3..3, this node 4..4): the peer runs an "
                                         "older Interstice that cannot ask or answer queries"),
            std::string::npos)
      << refused.error().message;
  Hello newer = Handshake(b, Role::Connecting).hello();
  newer.min_version = newer.max_version = kProtocolMax + 1;
  refused = Handshake(a, Role::Accepting).on_hello(newer);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("newer Interstice; upgrade this node"), std::string::npos)
      << refused.error().message;
}

// M sits between C and S: C believes it talks to M, M talks to S as C. M
// gives C the challenge S gave it and passes C's proof on. Under protocol 1
// (C signed S's challenge and its own key only) S accepted it; now C's
// signature names M as the verifier, and S refuses it.
TEST(Handshake, AProofCannotBeRelayedToAnotherNode) {
  TempDir dir;
  Identity c = make_identity(dir, "c"), m = make_identity(dir, "m"), s = make_identity(dir, "s");
  Handshake hs(s, Role::Accepting), hc(c, Role::Connecting);
  Hello to_c = Handshake(m, Role::Accepting).hello();
  to_c.challenge = hs.hello().challenge;  // S's challenge, M's key
  auto proof_c = hc.on_hello(to_c);
  ASSERT_TRUE(proof_c.ok());
  ASSERT_TRUE(hs.on_hello(hc.hello()).ok());  // M forwards C's Hello to S...
  auto relayed = hs.on_proof(*proof_c);       // ...and C's Proof
  ASSERT_FALSE(relayed.ok());
  EXPECT_NE(relayed.error().message.find("signed a handshake with another node"),
            std::string::npos);
}

TEST(KnownPeers, TrustOnFirstUseAndPinning) {
  TempDir dir;
  std::filesystem::path file = dir.path() / "peers";
  {
    KnownPeers peers(interstice::base::Env::posix(), file);
    EXPECT_TRUE(peers.check("127.0.0.1:8080", "aa").ok());
    EXPECT_TRUE(peers.check("127.0.0.1:8080", "aa").ok());
    auto changed = peers.check("127.0.0.1:8080", "bb");
    ASSERT_FALSE(changed.ok());
    EXPECT_NE(changed.error().message.find("presented key bb, but the key aa is known there"),
              std::string::npos)
        << changed.error().message;
    ASSERT_TRUE(peers.pin("127.0.0.1:9000", "cc").ok());
  }
  KnownPeers reloaded(interstice::base::Env::posix(), file);  // remembered across restarts
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
    server_ =
        std::make_unique<PeerServer>(server_identity_, [this](LogLevel, const std::string& line) {
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
  KnownPeers known(interstice::base::Env::posix(), dir_.path() / "peers");
  auto client = PeerClient::connect("127.0.0.1", port_, client_identity_, &known);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ((*client)->peer_id(), server_identity_.id());
  EXPECT_EQ(*(*client)->ping(7), 7u);
  EXPECT_TRUE(logged("peer " + client_identity_.id() + " connected from 127.0.0.1:"));
  EXPECT_EQ(server_->authenticated_peers(), 1u);
}

TEST_F(ServerTest, AChangedServerKeyIsRefusedByTheClient) {
  KnownPeers known(interstice::base::Env::posix(), dir_.path() / "peers");
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
  send_raw({0x01, 0x10, 0x00, 0x00});  // 4097 bytes: oversized before the handshake
  send_raw({10, 0, 0, 0, 1, 2});       // truncated
  EXPECT_TRUE(logged("exceeds the maximum"));
  EXPECT_TRUE(logged("frame of 4097 bytes exceeds the maximum of 4096"));
  EXPECT_TRUE(logged("truncated frame"));
  KnownPeers known(interstice::base::Env::posix(), dir_.path() / "peers");
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
      server_identity, [](LogLevel, const std::string&) {},
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
  EXPECT_TRUE(
      logged("expected Hello (the connection is not authenticated yet), got a message of "
             "tag 2"));
}

}  // namespace
}  // namespace interstice::net
