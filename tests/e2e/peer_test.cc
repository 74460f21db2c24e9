// A real node accepting peers: an authenticated client gets Pong, the node
// logs the peer by id, and garbage on the peer port never takes it down.
#include <gtest/gtest.h>

#include <httplib.h>

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
  auto identity = std::move(interstice::net::load_or_create_identity(client_dir.path())).value();
  interstice::net::KnownPeers known(client_dir.path() / "peers");
  auto client = interstice::net::PeerClient::connect("127.0.0.1", peer_port, identity, &known);
  ASSERT_TRUE(client.ok()) << client.error().message << node.output();
  EXPECT_EQ(*(*client)->ping(99), 99u);
  auto peers = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " node peers " +
                                                node.address());
  EXPECT_EQ(peers.exit_code, 0);
  EXPECT_TRUE(peers.output.starts_with(identity.id() + " 127.0.0.1:")) << peers.output;
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
  auto identity = std::move(interstice::net::load_or_create_identity(client_dir.path())).value();
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
}

}  // namespace
