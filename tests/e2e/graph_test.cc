// `interstice graph` on the data directory of a real node: what triggered
// what, counted over a range of the log, with the declared subscriptions,
// as DOT and drawn by Graphviz.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using interstice::testing::TempDir;

CommandResult graph(const std::filesystem::path& data_dir, const std::string& flags) {
  return run_command("(" + std::string(INTERSTICE_CLI) + " graph " + data_dir.string() + " " +
                     flags + " 2>/dev/null)");
}

TEST(Graph, WhatTriggeredWhatWithCountsAndTheDeclaredSubscriptions) {
  NodeProcess node({"hello", "caller"}, {"--peer-address", "MyNode=127.0.0.1:1"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  for (const char* name : {"Ann", "Bo"})
    ASSERT_EQ(
        http.Post("/call/hello/hello", fmt::format(R"(["{}"])", name), "application/json")->status,
        200);
  node.stop();

  CommandResult all = graph(node.data_dir(), "");
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_TRUE(all.output.starts_with("digraph interstice {")) << all.output;
  EXPECT_NE(all.output.find(R"("clients" -> "hello.hello" [label="×2"];)"), std::string::npos)
      << all.output;
  EXPECT_NE(all.output.find(R"("hello.hello" -> "hello.greetings" [label="insert ×2"];)"),
            std::string::npos)
      << all.output;
  EXPECT_NE(
      all.output.find(R"("hello.greetings" -> "hello.on_greeting_insert" [label="insert ×2"];)"),
      std::string::npos)
      << all.output;
  // caller's subscription to the remote node, which never answered: declared only.
  EXPECT_NE(all.output.find(R"("node MyNode: hello.greetings" -> "caller.on_remote_greeting" )"
                            R"([label="insert", style=dashed];)"),
            std::string::npos)
      << all.output;

  // A range: the log's offsets of Ann's call and its subscription.
  CommandResult some = graph(node.data_dir(), "--to 0");
  ASSERT_EQ(some.exit_code, 0) << some.output;
  EXPECT_EQ(some.output.find("×"), std::string::npos) << some.output;

  TempDir out;
  ASSERT_EQ(graph(node.data_dir(), "-o " + (out.path() / "g.dot").string()).exit_code, 0);
  std::ifstream dot(out.path() / "g.dot");
  std::string written((std::istreambuf_iterator<char>(dot)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, all.output);
  CommandResult svg = graph(node.data_dir(), "-o " + (out.path() / "g.svg").string());
  ASSERT_EQ(svg.exit_code, 0) << "Graphviz (scripts/setup installs it)";
  std::ifstream drawn(out.path() / "g.svg");
  std::string picture((std::istreambuf_iterator<char>(drawn)), std::istreambuf_iterator<char>());
  EXPECT_NE(picture.find("<svg"), std::string::npos);
  EXPECT_NE(picture.find("on_greeting_insert"), std::string::npos);
}

// A peer's calls are drawn as coming from that node, named by its id.
TEST(Graph, APeersCallsNameThePeer) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.peer_port(), 0) << hello_node.output();
  NodeProcess caller_node(
      {"caller"}, {"--peer-address", "MyNode=127.0.0.1:" + std::to_string(hello_node.peer_port())});
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("hello on MyNode answered: ok")) << caller_node.output();
  httplib::Client http("127.0.0.1", caller_node.port());
  auto about = http.Get("/node");
  ASSERT_TRUE(about && about->status == 200);
  std::string caller_id = nlohmann::json::parse(about->body)["id"];
  ASSERT_GE(caller_id.size(), 12u);
  hello_node.stop();
  CommandResult drawn = graph(hello_node.data_dir(), "");
  ASSERT_EQ(drawn.exit_code, 0) << drawn.output;
  EXPECT_NE(drawn.output.find(fmt::format(R"("calls from node {}…" -> "hello.hello" [label="×1"];)",
                                          caller_id.substr(0, 12))),
            std::string::npos)
      << drawn.output;
}

TEST(Graph, ADataDirectoryThatIsNotOneIsAClearError) {
  TempDir empty;
  CommandResult missing = run_command(std::string(INTERSTICE_CLI) + " graph " +
                                      (empty.path() / "none").string() + " 2>&1");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("error: "), std::string::npos) << missing.output;
}

}  // namespace
