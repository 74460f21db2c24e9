// Real nodes against hostile peers on loopback: a 2.4 MB deeply nested frame
// before the handshake, a relayed handshake, bounds a peer could push
// (connections, remembered outcomes, a subscriber that does not read), the
// descriptor limit, and peer calls under every durability mode.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "abi/serialize.h"
#include "hello/hello_types.h"
#include "net/peer_client.h"
#include "support/hostile_frames.h"
#include "support/node_process.h"
#include "support/raw_peer.h"
#include "support/relay.h"

namespace {

using interstice::net::Identity;
using interstice::net::PeerClient;
using interstice::testing::NodeProcess;
using interstice::testing::RawPeer;
using interstice::testing::TempDir;

Identity make_identity(const TempDir& dir, const std::string& name) {
  std::filesystem::create_directories(dir.path() / name);
  return std::move(interstice::net::load_or_create_identity(interstice::base::Env::posix(),
                                                            dir.path() / name))
      .value();
}

std::vector<uint8_t> hello_args(const std::string& name) {
  return interstice::abi::to_bytes(std::make_tuple(name));
}

bool healthy(const NodeProcess& node) {
  httplib::Client http("127.0.0.1", node.port());
  auto health = http.Get("/health");
  return health && health->status == 200;
}

std::string greetings(const NodeProcess& node) {
  httplib::Client http("127.0.0.1", node.port());
  auto rows = http.Get("/tables/hello/greetings");
  return rows ? rows->body : "no answer";
}

TEST(HostilePeers, ADeepFrameBeforeTheHandshakeDoesNotCrashTheNode) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  {
    RawPeer peer(node.peer_port());
    peer.write(interstice::testing::deep_subscribe_frame());  // 2.4 MB, 200,000 deep
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(5)));
  }
  {
    RawPeer peer(node.peer_port());
    peer.write(interstice::testing::deep_subscribe_frame(300));  // small, but not Hello
    EXPECT_TRUE(peer.closed_within(std::chrono::seconds(5)));
  }
  EXPECT_TRUE(node.wait_for_output("exceeds the maximum of 4096")) << node.output();
  EXPECT_TRUE(node.wait_for_output("got a message of tag 6")) << node.output();
  EXPECT_TRUE(healthy(node));
  TempDir dir;
  Identity identity = make_identity(dir, "peer");
  auto client = PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message << node.output();
  EXPECT_EQ(*(*client)->ping(5), 5u);
  EXPECT_EQ(node.stop(), 0);
}

// The remote node a module calls answers the outgoing link with the same
// 2.4 MB frame (it used to crash the caller, at every restart): the caller
// logs why, retries, and goes on.
TEST(HostilePeers, ADeepFrameFromTheRemoteNodeDoesNotCrashTheCaller) {
  asio::io_context io;
  asio::ip::tcp::acceptor hostile(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::string address = "127.0.0.1:" + std::to_string(hostile.local_endpoint().port());
  NodeProcess caller({"caller"}, {"--peer-address", "MyNode=" + address});
  ASSERT_NE(caller.port(), 0) << caller.output();
  for (int i = 0; i < 2; ++i) {  // the first connection, and the one after the backoff
    asio::ip::tcp::socket socket = hostile.accept();
    asio::error_code ec;
    asio::write(socket, asio::buffer(interstice::testing::deep_subscribe_frame()), ec);
  }
  EXPECT_TRUE(
      caller.wait_for_output("cannot reach peer " + address + ": the peer sent a frame of 2400"))
      << caller.output();
  EXPECT_TRUE(healthy(caller));
  EXPECT_EQ(caller.stop(), 0);
}

TEST(HostilePeers, ARelayedHandshakeIsRefused) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  TempDir dir;
  Identity c = make_identity(dir, "c"), m = make_identity(dir, "m");
  auto outcome = interstice::testing::relay_handshake(node.peer_port(), c, m);
  EXPECT_FALSE(outcome.c_connected);
  EXPECT_TRUE(outcome.s_hung_up);
  EXPECT_TRUE(node.wait_for_output("signed a handshake with another node")) << node.output();
  EXPECT_EQ(node.output().find("peer " + c.id() + " connected"), std::string::npos);
  auto peers = interstice::testing::RawPeer(node.peer_port());  // still serving
  EXPECT_TRUE(peers.read_payload().has_value());
}

// --durability none used to leave peer calls unanswered (and the node hung at
// SIGTERM); every mode answers them and stops cleanly.
TEST(HostilePeers, EveryDurabilityModeAnswersPeerCallsAndStopsCleanly) {
  TempDir dir;
  Identity identity = make_identity(dir, "peer");
  for (const char* mode : {"none", "group", "sync"}) {
    NodeProcess node({"hello"}, {"--peer-port", "0", "--durability", mode});
    ASSERT_NE(node.peer_port(), 0) << node.output();
    auto client = PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
    ASSERT_TRUE(client.ok()) << mode << ": " << client.error().message;
    for (uint64_t id = 1; id <= 3; ++id) {
      auto result = (*client)->call(id, "hello", "hello", hello_args(mode));
      ASSERT_TRUE(result.ok()) << mode << ": " << result.error().message;
      EXPECT_TRUE(result->ok) << mode << ": " << result->error;
    }
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(node.stop(), 0) << mode << ": " << node.output();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4)) << mode;
  }
}

// Reducers run on the node's executor, not on the peer server's I/O thread:
// while a reducer spins for seconds, new peers still complete their
// handshakes at once (before, the I/O thread waited for the node lock to
// tell the modules that a peer connected, and every handshake behind it).
TEST(HostilePeers, ARunawayReducerDoesNotStallPeerConnections) {
  TempDir dir;
  NodeProcess node({"testkit"}, {"--peer-port", "0", "--fuel", "60000000000"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  std::thread spinner([&] {
    httplib::Client http("127.0.0.1", node.port());
    http.set_read_timeout(60);
    (void)http.Post("/call/testkit/spin", "[]", "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const char* name : {"first", "second", "third"}) {
    auto start = std::chrono::steady_clock::now();
    auto client =
        PeerClient::connect("127.0.0.1", node.peer_port(), make_identity(dir, name), nullptr);
    ASSERT_TRUE(client.ok()) << name << ": " << client.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000)) << name;
  }
  EXPECT_TRUE(healthy(node));
  spinner.join();
  EXPECT_TRUE(node.wait_for_output("reducer testkit.spin trapped: out of fuel")) << node.output();
}

TEST(HostilePeers, ConnectionsBeyondTheLimitAreRefused) {
  NodeProcess node({"hello"}, {"--peer-port", "0", "--peer-max-connections", "2"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  {
    RawPeer a(node.peer_port()), b(node.peer_port());
    ASSERT_TRUE(a.read_payload() && b.read_payload());
    RawPeer c(node.peer_port());
    EXPECT_TRUE(c.closed_within(std::chrono::seconds(2)));
    EXPECT_TRUE(node.wait_for_output("refusing peer connections: 2 are open, the limit is 2"));
  }
  TempDir dir;
  Identity identity = make_identity(dir, "peer");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the node sees them close
  auto client = PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message << node.output();
  EXPECT_EQ(*(*client)->ping(1), 1u);
}

size_t open_descriptors(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

// At the descriptor limit the accept loop logs once, backs off and goes on
// (it used to end for good, silently).
TEST(HostilePeers, TheAcceptLoopSurvivesTheDescriptorLimit) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = open_descriptors(node.pid()) + 16;
  ASSERT_EQ(::prlimit(node.pid(), RLIMIT_NOFILE, &limit, nullptr), 0);
  {
    std::vector<std::unique_ptr<RawPeer>> flood;
    for (int i = 0; i < 40; ++i) flood.push_back(std::make_unique<RawPeer>(node.peer_port()));
    EXPECT_TRUE(node.wait_for_output("cannot accept peer connections: Too many open files"))
        << node.output();
  }
  TempDir dir;
  Identity identity = make_identity(dir, "peer");
  // The flood is gone; the node frees its descriptors and accepts again.
  std::optional<std::unique_ptr<PeerClient>> client;
  for (int i = 0; i < 50 && !client; ++i) {
    auto connected = PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
    if (connected)
      client = std::move(connected).value();
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(client) << node.output();
  EXPECT_EQ(*(*client)->ping(3), 3u);
  EXPECT_TRUE(node.wait_for_output("accepting peer connections again"));
  std::string log = node.output();
  size_t first = log.find("cannot accept peer connections");
  EXPECT_EQ(log.find("cannot accept peer connections", first + 1), std::string::npos)
      << "logged more than once";
  EXPECT_EQ(node.stop(), 0);
}

// Failed calls naming a huge module: their errors are cut to 1 KiB, and the
// remembered outcomes stay within --peer-outcome-memory (the oldest are
// forgotten: id 1 runs again).
TEST(HostilePeers, RememberedOutcomesStayWithinTheirMemory) {
  NodeProcess node({"hello"}, {"--peer-port", "0", "--peer-outcome-memory", "1"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  TempDir dir;
  Identity identity = make_identity(dir, "peer");
  auto client = PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE((*client)->call(1, "hello", "hello", hello_args("one"))->ok);
  ASSERT_TRUE((*client)->call(1, "hello", "hello", hello_args("one"))->ok);  // remembered
  std::string one = greetings(node);
  std::string huge(4096, 'm');
  for (uint64_t id = 2; id < 1202; ++id) ASSERT_TRUE((*client)->send_call(id, huge, "f", {}).ok());
  for (uint64_t id = 2; id < 1202; ++id) {
    auto result = (*client)->receive_result();
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_FALSE(result->ok);
    ASSERT_LE(result->error.size(), 1024u);
  }
  EXPECT_EQ(greetings(node), one);
  ASSERT_TRUE((*client)->call(1, "hello", "hello", hello_args("one"))->ok);  // forgotten: runs
  EXPECT_NE(greetings(node), one);
}

interstice::net::Subscribe greetings_subscription() {
  interstice::abi::TypeRegistry types;
  (void)interstice::abi::type_of<Greetings>(types);
  return interstice::net::Subscribe{1, "hello", "greetings", "Greetings", types.defs};
}

// A subscriber that never reads is disconnected once --peer-send-queue MiB
// wait for it, with the reason in the log.
TEST(HostilePeers, ASubscriberThatFallsBehindIsDisconnected) {
  NodeProcess node({"hello"}, {"--peer-port", "0", "--peer-send-queue", "1"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  TempDir dir;
  Identity reader = make_identity(dir, "reader"), caller = make_identity(dir, "caller");
  RawPeer subscriber(node.peer_port(), 4096);
  ASSERT_TRUE(subscriber.handshake(reader).ok());
  subscriber.write(subscriber.seal(interstice::net::Message{greetings_subscription()}));
  auto accepted = subscriber.receive();
  ASSERT_TRUE(accepted && std::get<interstice::net::SubscribeResult>(accepted->value).ok);
  auto client = PeerClient::connect("127.0.0.1", node.peer_port(), caller, nullptr);
  ASSERT_TRUE(client.ok());
  // The calls go from another thread: this one reads what the node prints
  // (a greeting each), or the node would block on its full stdout.
  std::atomic<bool> done{false}, finished{false};
  std::thread calls([&] {
    std::string name(4096, 'n');
    for (uint64_t id = 1; id <= 4000 && !done; id += 100) {  // up to 16 MB of events
      for (uint64_t i = id; i < id + 100; ++i)
        (void)(*client)->send_call(i, "hello", "hello", hello_args(name));
      for (int i = 0; i < 100; ++i) (void)(*client)->receive_result();
    }
    finished = true;
  });
  EXPECT_TRUE(node.wait_for_output("peer " + reader.id() + " disconnected: it fell behind: ",
                                   std::chrono::seconds(30)))
      << node.output().substr(0, 2000);
  done = true;
  while (!finished) (void)node.output();
  calls.join();
  EXPECT_TRUE(
      node.wait_for_output("the limit is 1048576 (--peer-send-queue); dropped its 1 "
                           "subscription"));
  EXPECT_TRUE(healthy(node));
}

}  // namespace

namespace {

size_t rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  return 0;
}

// Not a test: measures a node's memory under the two attacks of issue 15 that
// the peer bounds answer (run with --gtest_also_run_disabled_tests). 1,500
// failed calls naming a 1 MiB module (they kept 1.5 GB), then a subscriber
// that never reads while 8,000 greetings of 4 KiB are published (against as
// many published with no subscriber).
TEST(HostilePeers, DISABLED_MeasureMemoryUnderAttack) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  TempDir dir;
  Identity attacker = make_identity(dir, "attacker"), reader = make_identity(dir, "reader");
  auto client = PeerClient::connect("127.0.0.1", node.peer_port(), attacker, nullptr);
  ASSERT_TRUE(client.ok());
  client.value()->set_receive_timeout(60);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t before = rss_kib(node.pid());
  std::string huge(1 << 20, 'm');
  for (uint64_t id = 1; id <= 1500; id += 20) {
    for (uint64_t i = id; i < id + 20; ++i)
      ASSERT_TRUE((*client)->send_call(i, huge, "f", {}).ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*client)->receive_result().ok());
  }
  size_t after_calls = rss_kib(node.pid());

  // 8,000 greetings of 4 KiB with nobody subscribed, then 8,000 more while a
  // subscriber does not read: the difference is what the subscriber costs.
  auto greet = [&](uint64_t first) {
    std::atomic<size_t> peak{0};
    std::atomic<bool> finished{false};
    std::thread calls([&] {  // this thread reads what the node prints meanwhile
      std::string name(4096, 'n');
      for (uint64_t id = first; id < first + 8000; id += 100) {
        for (uint64_t i = id; i < id + 100; ++i)
          (void)(*client)->send_call(i, "hello", "hello", hello_args(name));
        for (int i = 0; i < 100; ++i) (void)(*client)->receive_result();
        peak = std::max(peak.load(), rss_kib(node.pid()));
      }
      finished = true;
    });
    while (!finished) (void)node.output();
    calls.join();
    return peak.load();
  };
  size_t peak_alone = greet(10'000);
  size_t after_alone = rss_kib(node.pid());
  RawPeer subscriber(node.peer_port(), 4096);
  ASSERT_TRUE(subscriber.handshake(reader).ok());
  subscriber.write(subscriber.seal(interstice::net::Message{greetings_subscription()}));
  ASSERT_TRUE(subscriber.receive());
  size_t peak_subscribed = greet(20'000);
  size_t after_subscriber = rss_kib(node.pid());
  bool disconnected = node.output().find("it fell behind") != std::string::npos;
  std::printf(
      "VmRSS before: %zu KiB; after 1,500 failed calls naming a 1 MiB module: %zu KiB\n"
      "8,000 greetings of 4 KiB, no subscriber: peak %zu KiB, after %zu KiB\n"
      "8,000 more while a subscriber does not read: peak %zu KiB, after %zu KiB "
      "(disconnected: %s)\n",
      before, after_calls, peak_alone, after_alone, peak_subscribed, after_subscriber,
      disconnected ? "yes" : "no");
  EXPECT_TRUE(disconnected);
}

}  // namespace
