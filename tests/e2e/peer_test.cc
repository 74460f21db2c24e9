// A real node accepting peers: an authenticated client gets Pong, the node
// logs the peer by id, and garbage on the peer port never takes it down.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <random>

#include "net/known_peers.h"
#include "net/peer_client.h"
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
  std::string log = node.output();
  EXPECT_NE(log.find("peer " + identity.id() + " connected from 127.0.0.1:"), std::string::npos)
      << log;
  EXPECT_NE(log.find("closing the connection from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace
