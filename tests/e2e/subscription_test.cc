// Remote subscriptions between real node processes: the caller module on one
// node receives every greeting inserted on the hello node, in commit order;
// private tables and mismatched row types are refused with a clear reason;
// a subscriber killed mid-stream catches up on what it missed when it
// returns, a publisher that returns is subscribed to again, nothing arrives
// twice and no call runs twice; a publisher that lost its log is subscribed
// to afresh.
#include <gtest/gtest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;

// Inserts greetings "Hello, <prefix>i!" for i in [from, to) through the
// node's local interface.
void greet(NodeProcess& node, const std::string& prefix, int from, int to) {
  httplib::Client http("127.0.0.1", node.port());
  for (int i = from; i < to; ++i) {
    auto reply = http.Post("/call/hello/hello", "[\"" + prefix + std::to_string(i) + "\"]",
                           "application/json");
    ASSERT_TRUE(reply && reply->status == 200) << (reply ? reply->body : "no reply");
  }
}

std::string greeting_line(int id, const std::string& text) {
  return "MyNode greeted: #" + std::to_string(id) + " \"" + text + "\"";
}

std::vector<std::string> caller_args(NodeProcess& hello_node) {
  return {"--peer-address", "MyNode=127.0.0.1:" + std::to_string(hello_node.peer_port())};
}

TEST(RemoteSubscriptions, EveryInsertArrivesInCommitOrder) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.peer_port(), 0) << hello_node.output();
  NodeProcess caller_node({"caller"}, caller_args(hello_node));
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(1, "Hello, Client !!")))
      << caller_node.output();
  greet(hello_node, "n", 2, 102);
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(101, "Hello, n101!")))
      << caller_node.output();
  std::string log = caller_node.output();
  size_t previous = log.find(greeting_line(1, "Hello, Client !!"));
  for (int id = 2; id <= 101; ++id) {
    std::string line = greeting_line(id, "Hello, n" + std::to_string(id) + "!");
    size_t at = log.find(line);
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_GT(at, previous) << line << " arrived out of order";
    EXPECT_EQ(log.find(line, at + 1), std::string::npos) << line << " arrived twice";
    previous = at;
  }
  EXPECT_NE(hello_node.output().find("subscribed to hello.greetings"), std::string::npos);
}

// Three nodes: two callers subscribe to the same hello node; each receives
// every greeting, its own init call's and the other's included.
TEST(RemoteSubscriptions, TwoSubscribersOnTwoNodesEachReceiveEverything) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.peer_port(), 0) << hello_node.output();
  NodeProcess first({"caller"}, caller_args(hello_node));
  ASSERT_TRUE(first.wait_for_output(greeting_line(1, "Hello, Client !!"))) << first.output();
  NodeProcess second({"caller"}, caller_args(hello_node));
  ASSERT_TRUE(second.wait_for_output("hello on MyNode answered: ok")) << second.output();
  // The second caller's init call made greeting #2; both saw it.
  EXPECT_TRUE(first.wait_for_output(greeting_line(2, "Hello, Client !!"))) << first.output();
  EXPECT_TRUE(second.wait_for_output(greeting_line(2, "Hello, Client !!"))) << second.output();
  greet(hello_node, "t", 3, 13);
  for (NodeProcess* node : {&first, &second})
    EXPECT_TRUE(node->wait_for_output(greeting_line(12, "Hello, t12!"))) << node->output();
  std::string peers = hello_node.output();
  size_t subscribed = 0;
  for (size_t at = 0; (at = peers.find("subscribed to hello.greetings", at)) != std::string::npos;
       ++at)
    ++subscribed;
  EXPECT_EQ(subscribed, 2u) << peers;
}

TEST(RemoteSubscriptions, PrivateTablesAndMismatchedRowTypesAreRefused) {
  // testkit.secrets is private; remote_subscriber expects another Greetings.
  NodeProcess server({"hello", "testkit"}, {"--peer-port", "0"});
  ASSERT_NE(server.peer_port(), 0) << server.output();
  NodeProcess subscriber(
      {"remote_subscriber"},
      {"--peer-address", "Server=127.0.0.1:" + std::to_string(server.peer_port())});
  ASSERT_NE(subscriber.port(), 0) << subscriber.output();
  EXPECT_TRUE(subscriber.wait_for_output(
      "the node Server at 127.0.0.1:" + std::to_string(server.peer_port()) +
      " refused the subscription to testkit.secrets: table 'testkit.secrets' is private: peers "
      "cannot subscribe to it"))
      << subscriber.output();
  EXPECT_TRUE(subscriber.wait_for_output(
      "refused the subscription to hello.greetings: the subscriber's row type WrongGreetings "
      "does not match hello.greetings's Greetings: WrongGreetings.greeting: u32 against string"))
      << subscriber.output();
  EXPECT_TRUE(server.wait_for_output("refused the subscription of peer"));
}

// A subscriber that was away catches up on what it missed; a publisher that
// was away is subscribed to again; nothing arrives twice, no call is repeated.
TEST(RemoteSubscriptions, AKilledSubscriberCatchesUpAndNothingArrivesTwice) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  uint16_t peer_port = hello_node.peer_port();
  ASSERT_NE(peer_port, 0) << hello_node.output();
  NodeProcess caller_node({"caller"}, caller_args(hello_node));
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(1, "Hello, Client !!")))
      << caller_node.output();
  greet(hello_node, "a", 2, 12);
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(11, "Hello, a11!")));

  // Everything the caller did is durable (GET /node says so); then it dies,
  // and the hello node logs it and drops its subscription.
  for (int i = 0; i < 400; ++i) {
    auto node = httplib::Client("127.0.0.1", caller_node.port()).Get("/node");
    ASSERT_TRUE(node && node->status == 200);
    auto log = nlohmann::json::parse(node->body)["log"];
    if (log["durable_offset"] == log["last_offset"]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  caller_node.kill_hard();
  ASSERT_TRUE(hello_node.wait_for_output("disconnected; dropped its 1 subscription"))
      << hello_node.output();
  greet(hello_node, "b", 12, 14);  // made while the subscriber is away
  caller_node.restart(caller_args(hello_node));
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("connected to peer")) << caller_node.output();
  // Subscribed again once the new connection is up (the second subscription).
  for (int i = 0; i < 200; ++i) {
    std::string log = hello_node.output();
    size_t first = log.find("subscribed to hello.greetings");
    if (first != std::string::npos &&
        log.find("subscribed to hello.greetings", first + 1) != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  greet(hello_node, "c", 14, 15);
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(14, "Hello, c14!")))
      << caller_node.output();
  // It caught up: what it missed came once each, in order, before the live
  // change; nothing it had seen came again.
  std::string log = caller_node.output();
  size_t previous = 0;
  for (std::string line : {greeting_line(12, "Hello, b12!"), greeting_line(13, "Hello, b13!"),
                           greeting_line(14, "Hello, c14!")}) {
    size_t at = log.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\n" << log;
    EXPECT_GE(at, previous) << line << " arrived out of order";
    EXPECT_EQ(log.find(line, at + 1), std::string::npos) << line << " arrived twice";
    previous = at;
  }
  for (int id = 1; id <= 11; ++id)
    EXPECT_EQ(log.find("MyNode greeted: #" + std::to_string(id) + " "), std::string::npos)
        << "#" << id << " came again\n"
        << log;

  // The publisher dies: the caller logs the disconnect, reconnects with
  // backoff when it returns on the same port, and subscribes again.
  hello_node.kill_hard();
  ASSERT_TRUE(caller_node.wait_for_output("lost the connection to peer")) << caller_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("disconnected (127.0.0.1:" + std::to_string(peer_port)));
  hello_node.restart({"--peer-port", std::to_string(peer_port)});
  ASSERT_EQ(hello_node.peer_port(), peer_port) << hello_node.output();
  ASSERT_TRUE(hello_node.wait_for_output("subscribed to hello.greetings")) << hello_node.output();
  greet(hello_node, "d", 15, 16);
  ASSERT_TRUE(caller_node.wait_for_output(greeting_line(15, "Hello, d15!")))
      << caller_node.output();
  log = caller_node.output();
  for (int id = 12; id <= 15; ++id) {
    std::string line = "MyNode greeted: #" + std::to_string(id) + " ";
    EXPECT_EQ(log.find(line, log.find(line) + 1), std::string::npos) << "#" << id << " twice";
  }

  // init ran once, so hello ran "Client !" once: no call was duplicated.
  httplib::Client http("127.0.0.1", hello_node.port());
  auto rows = http.Get("/tables/hello/greetings");
  ASSERT_TRUE(rows);
  size_t first = rows->body.find("Hello, Client !!");
  EXPECT_NE(first, std::string::npos);
  EXPECT_EQ(rows->body.find("Hello, Client !!", first + 1), std::string::npos) << rows->body;
}

// A publisher that lost its log cannot resume the subscription: the
// subscriber says so and subscribes afresh, so later changes still arrive.
TEST(RemoteSubscriptions, APublisherThatLostItsLogIsSubscribedToAfresh) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  uint16_t peer_port = hello_node.peer_port();
  NodeProcess caller_node({"caller"}, caller_args(hello_node));
  greet(hello_node, "a", 2, 6);  // before or after the caller's init call: ids vary
  ASSERT_TRUE(caller_node.wait_for_output("\"Hello, a5!\"")) << caller_node.output();
  hello_node.kill_hard();
  std::filesystem::remove_all(hello_node.data_dir() / "log");
  std::filesystem::remove_all(hello_node.data_dir() / "snapshots");
  hello_node.restart({"--peer-port", std::to_string(peer_port)});
  ASSERT_EQ(hello_node.peer_port(), peer_port) << hello_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("cannot resume the subscription to hello.greetings"))
      << caller_node.output() << hello_node.output();
  // Its greetings count from 1 again.
  greet(hello_node, "e", 1, 3);
  EXPECT_TRUE(caller_node.wait_for_output(greeting_line(2, "Hello, e2!"))) << caller_node.output();
  EXPECT_TRUE(caller_node.wait_for_output(greeting_line(1, "Hello, e1!"))) << caller_node.output();
}

}  // namespace
