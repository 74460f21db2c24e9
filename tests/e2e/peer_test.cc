// A real node accepting peers: an authenticated client gets Pong, the node
// logs the peer by id, and garbage on the peer port never takes it down.
#include <gtest/gtest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <asio.hpp>
#include <random>
#include <thread>

#include "abi/serialize.h"
#include "net/known_peers.h"
#include "net/peer_client.h"
#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::TempDir;

TEST(Peers, ANodeAuthenticatesPeersAndSurvivesGarbage) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.port(), 0) << node.output();
  uint16_t peer_port = node.peer_port();
  ASSERT_NE(peer_port, 0) << node.output();

  std::mt19937 random(5);
  for (int i = 0; i < 20; ++i) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), peer_port));
    std::vector<uint8_t> junk(1 + random() % 100);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(random());
    asio::error_code ec;
    asio::write(socket, asio::buffer(junk), ec);
  }

  TempDir client_dir;
  auto identity = std::move(interstice::net::load_or_create_identity(interstice::base::Env::posix(),
                                                                     client_dir.path()))
                      .value();
  interstice::net::KnownPeers known(interstice::base::Env::posix(), client_dir.path() / "peers");
  auto client = interstice::net::PeerClient::connect("127.0.0.1", peer_port, identity, &known);
  ASSERT_TRUE(client.ok()) << client.error().message << node.output();
  EXPECT_EQ(*(*client)->ping(99), 99u);
  auto peers = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " node peers " +
                                                node.address());
  EXPECT_EQ(peers.exit_code, 0);
  EXPECT_TRUE(peers.output.starts_with("incoming  " + identity.id() + " from 127.0.0.1:"))
      << peers.output;
  std::string log = node.output();
  EXPECT_NE(log.find("peer " + identity.id() + " connected from 127.0.0.1:"), std::string::npos)
      << log;
  EXPECT_NE(log.find("closing the connection from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace

namespace {

TEST(Peers, RemoteCallsRunPublicReducersAtMostOnce) {
  NodeProcess node({"hello", "wants_input"}, {"--peer-port", "0", "--grant", "input"});
  ASSERT_NE(node.port(), 0) << node.output();
  TempDir client_dir;
  auto identity = std::move(interstice::net::load_or_create_identity(interstice::base::Env::posix(),
                                                                     client_dir.path()))
                      .value();
  auto client =
      interstice::net::PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;

  std::vector<uint8_t> args = interstice::abi::to_bytes(std::make_tuple(std::string("Client !")));
  auto first = (*client)->call(1, "hello", "hello", args);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->ok) << first->error;
  auto repeated = (*client)->call(1, "hello", "hello", args);  // the same call id again
  ASSERT_TRUE(repeated.ok());
  EXPECT_TRUE(repeated->ok);

  auto bad_args = (*client)->call(2, "hello", "hello", {1, 2, 3});
  ASSERT_TRUE(bad_args.ok());
  EXPECT_FALSE(bad_args->ok);
  EXPECT_NE(bad_args->error.find("bad arguments for hello.hello"), std::string::npos)
      << bad_args->error;

  auto private_call =
      (*client)->call(3, "wants_input", "ping", interstice::abi::to_bytes(std::tuple<>()));
  ASSERT_TRUE(private_call.ok());
  EXPECT_FALSE(private_call->ok);
  EXPECT_EQ(private_call->error, "module 'wants_input' is private: peers cannot call it");

  // One greeting: the repeated call id did not run twice.
  httplib::Client http("127.0.0.1", node.port());
  auto rows = http.Get("/tables/hello/greetings");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->body, R"([{"id":1,"greeting":"Hello, Client !!","custom":{"val":0}}])");
}

}  // namespace

namespace {

TEST(Peers, TheCallerModuleCallsHelloOnAnotherNode) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.port(), 0) << hello_node.output();
  uint16_t peer_port = hello_node.peer_port();
  NodeProcess caller_node({"caller"},
                          {"--peer-address", "MyNode=127.0.0.1:" + std::to_string(peer_port)});
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    answered = caller_node.output().find("hello on MyNode answered: ok") != std::string::npos;
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(answered) << caller_node.output();
  EXPECT_NE(caller_node.output().find("[caller::init] called hello on MyNode"), std::string::npos);
  httplib::Client http("127.0.0.1", hello_node.port());
  auto rows = http.Get("/tables/hello/greetings");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->body, R"([{"id":1,"greeting":"Hello, Client !!","custom":{"val":0}}])");
  std::string hello_log = hello_node.output();
  EXPECT_NE(hello_log.find("Inserted greeting: {id: 1, greeting: \"Hello, Client !!\""),
            std::string::npos)
      << hello_log;
}

}  // namespace

namespace {

TEST(Peers, APinnedKeyRefusesAnyOtherPeer) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.port(), 0) << hello_node.output();
  std::string address = "127.0.0.1:" + std::to_string(hello_node.peer_port());
  NodeProcess caller_node({"caller"}, {"--peer-address", "MyNode=" + address, "--pin",
                                       address + "=" + std::string(64, 'a')});
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = caller_node.output().find("but the pinned key " + std::string(64, 'a')) !=
              std::string::npos;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(refused) << caller_node.output();
  EXPECT_EQ(caller_node.output().find("answered: ok"), std::string::npos);
  // A refused key is something for the operator to look at: a warning.
  std::string output = caller_node.output();
  size_t line_start = output.rfind('\n', output.find("but the pinned key"));
  std::string line = output.substr(line_start + 1, output.find('\n', line_start + 1) - line_start);
  EXPECT_NE(line.find(" warning "), std::string::npos) << line;
}

}  // namespace

namespace {

uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// A peer that stays down is reported once, not at every attempt (they are
// 100 ms, 200 ms, ... apart, then 5 s); the connection, when it comes, says
// how many attempts failed.
TEST(Peers, APeerThatStaysDownIsReportedOnce) {
  uint16_t port = free_port();
  std::string address = "127.0.0.1:" + std::to_string(port);
  NodeProcess caller_node({"caller"}, {"--peer-address", "MyNode=" + address});
  ASSERT_TRUE(caller_node.wait_for_output("cannot reach peer " + address)) << caller_node.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // four more attempts or so
  EXPECT_EQ(count_of(caller_node.output(), "cannot reach peer"), 1u) << caller_node.output();
  // `node peers` shows the node's own link, and why it is down.
  auto peers = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " node peers " +
                                                caller_node.address());
  EXPECT_EQ(peers.exit_code, 0);
  EXPECT_NE(
      peers.output.find("outgoing  " + address + " not connected: cannot connect to " + address),
      std::string::npos)
      << peers.output;

  NodeProcess hello_node({"hello"}, {"--peer-port", std::to_string(port)});
  ASSERT_EQ(hello_node.peer_port(), port) << hello_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("connected to peer")) << caller_node.output();
  EXPECT_NE(caller_node.output().find("at " + address + " after "), std::string::npos)
      << caller_node.output();
  EXPECT_NE(caller_node.output().find("failed attempts"), std::string::npos)
      << caller_node.output();
  auto id = interstice::testing::run_command("(" + std::string(INTERSTICE_CLI) + " node id " +
                                             hello_node.address() + " 2>/dev/null)");
  ASSERT_EQ(id.exit_code, 0) << id.output;
  std::string hello_id = id.output.substr(0, id.output.find('\n'));
  peers = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " node peers " +
                                           caller_node.address() + " --json");
  auto links = nlohmann::json::parse(peers.output, nullptr, false);
  ASSERT_TRUE(links.is_array()) << peers.output;
  bool found = false;
  for (const auto& link : links)
    found |= link.value("direction", "") == "outgoing" && link.value("address", "") == address &&
             link.value("connected", false) && link.value("id", "") == hello_id;
  EXPECT_TRUE(found) << peers.output;
}

// The caller's init call cannot reach MyNode. It stays pending across a
// kill -9 (rebuilt from the log) and a clean restart (kept in the snapshot),
// and is delivered once when MyNode finally runs: hello runs it once.
TEST(Peers, AnUnansweredCallIsSentAgainAfterRestarts) {
  uint16_t port = free_port();
  std::vector<std::string> caller_args{"--peer-address",
                                       "MyNode=127.0.0.1:" + std::to_string(port)};
  NodeProcess caller_node({"caller"}, caller_args);
  ASSERT_TRUE(caller_node.wait_for_output("cannot reach peer 127.0.0.1:" + std::to_string(port)))
      << caller_node.output();
  EXPECT_EQ(caller_node.output().find("sending again"), std::string::npos)
      << "the very first start has nothing to send again";
  caller_node.kill_hard();
  caller_node.restart(caller_args);
  ASSERT_TRUE(caller_node.wait_for_output("sending again 1 remote call that had no outcome"))
      << caller_node.output();
  EXPECT_EQ(caller_node.output().find("called hello on MyNode"), std::string::npos)
      << "init ran again";
  caller_node.restart(caller_args);  // a clean stop: the snapshot keeps the call
  ASSERT_TRUE(caller_node.wait_for_output("sending again 1 remote call that had no outcome"))
      << caller_node.output();

  NodeProcess hello_node({"hello"}, {"--peer-port", std::to_string(port)});
  ASSERT_EQ(hello_node.peer_port(), port) << hello_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("hello on MyNode answered: ok")) << caller_node.output();
  httplib::Client http("127.0.0.1", hello_node.port());
  EXPECT_EQ(http.Get("/tables/hello/greetings")->body,
            R"([{"id":1,"greeting":"Hello, Client !!","custom":{"val":0}}])");

  // Answered: after another restart nothing is pending.
  caller_node.restart(caller_args);
  ASSERT_NE(caller_node.port(), 0);
  EXPECT_TRUE(caller_node.wait_for_output("connected to peer")) << caller_node.output();
  EXPECT_EQ(caller_node.output().find("sending again"), std::string::npos);
}

}  // namespace

namespace {

// A call id that ran is remembered across restarts of the called node: from
// the log after kill -9, and from the snapshot after a clean stop.
TEST(Peers, ARepeatedCallIdDoesNotRunAgainAfterTheCalledNodeRestarts) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  TempDir client_dir;
  auto identity = std::move(interstice::net::load_or_create_identity(interstice::base::Env::posix(),
                                                                     client_dir.path()))
                      .value();
  std::vector<uint8_t> args = interstice::abi::to_bytes(std::make_tuple(std::string("once")));
  auto call = [&](uint64_t id) {
    auto client =
        interstice::net::PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
    EXPECT_TRUE(client.ok()) << client.error().message << node.output();
    if (!client.ok()) return false;
    auto result = (*client)->call(id, "hello", "hello", args);
    return result.ok() && result->ok;
  };
  auto greetings = [&] {
    httplib::Client http("127.0.0.1", node.port());
    auto rows = http.Get("/tables/hello/greetings");
    return rows ? rows->body : std::string("no answer");
  };
  const std::string one = R"([{"id":1,"greeting":"Hello, once!","custom":{"val":0}}])";
  ASSERT_TRUE(call(7));
  EXPECT_EQ(greetings(), one);

  node.kill_hard();
  node.restart({"--peer-port", "0"});
  ASSERT_NE(node.peer_port(), 0) << node.output();
  EXPECT_TRUE(call(7));  // answered from the first outcome
  EXPECT_EQ(greetings(), one);

  node.restart({"--peer-port", "0"});  // a clean stop: the snapshot keeps it
  ASSERT_NE(node.peer_port(), 0) << node.output();
  EXPECT_TRUE(call(7));
  EXPECT_EQ(greetings(), one);
  EXPECT_TRUE(call(8));  // a new id runs
  EXPECT_NE(greetings(), one);
}

}  // namespace
