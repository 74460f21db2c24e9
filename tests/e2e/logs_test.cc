// Structured logs of a real node: JSON lines on the terminal with
// --log-format json, DATA_DIR/node.log rotated by size, and `interstice logs`
// reading (and following) the node's recent lines, for the operator only.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using interstice::testing::TempDir;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

void greet(NodeProcess& node, const std::string& name) {
  httplib::Client http("127.0.0.1", node.port());
  auto response =
      http.Post("/call/hello/hello", fmt::format(R"(["{}"])", name), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
}

// `interstice logs` with the node's operator key, standard output only.
CommandResult logs(NodeProcess& node, const std::string& flags) {
  return run_command("(" + cli() + " logs " + node.address() + " --operator-key " +
                     (node.data_dir() / "operator.key").string() + " " + flags + " 2>/dev/null)");
}

// The JSON lines of `text` that are about `reducer` of hello.
std::vector<nlohmann::json> lines_of(const std::string& text, const std::string& reducer) {
  std::vector<nlohmann::json> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("module", "") == "hello" && j.value("reducer", "") == reducer)
      found.push_back(j);
  }
  return found;
}

TEST(Logs, JsonLinesOnTheTerminalAndInTheFile) {
  NodeProcess node({"hello"}, {"--log-format", "json"});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(greet(node, "Ann"));
  ASSERT_TRUE(node.wait_for_output("Hello, Ann!")) << node.output();
  // Every line the node printed is a JSON object with its fields.
  std::istringstream terminal(node.output());
  size_t objects = 0;
  for (std::string line; std::getline(terminal, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    ++objects;
  }
  EXPECT_GE(objects, 4u);
  auto inserted = lines_of(node.output(), "on_greeting_insert");
  ASSERT_EQ(inserted.size(), 1u) << node.output();
  EXPECT_EQ(inserted[0]["level"], "info");
  // Each module line carries its transaction's log offset: 1 is the node's
  // start, 2 hello's init, 3 the call, 4 the subscriber it set off.
  EXPECT_EQ(inserted[0].value("offset", uint64_t{0}), 4u) << inserted[0].dump();
  auto init = lines_of(node.output(), "init");
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(init[0].value("offset", uint64_t{0}), 2u) << init[0].dump();
  EXPECT_NE(inserted[0]["message"].get<std::string>().find("Hello, Ann!"), std::string::npos);

  std::ifstream file(node.data_dir() / "node.log");
  std::string written((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(lines_of(written, "on_greeting_insert").size(), 1u) << written;
  EXPECT_EQ(lines_of(written, "init").size(), 1u) << written;
}

TEST(Logs, TheLogsCommandFiltersAndIsForTheOperatorOnly) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(greet(node, "Ann"));
  ASSERT_TRUE(node.wait_for_output("Hello, Ann!")) << node.output();

  CommandResult all = logs(node, "");
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_NE(all.output.find("info  listening on http://"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find("info  [hello::on_greeting_insert] Inserted greeting"),
            std::string::npos)
      << all.output;
  CommandResult hello = logs(node, "--module hello --json");
  EXPECT_EQ(hello.exit_code, 0);
  EXPECT_EQ(hello.output.find("listening on"), std::string::npos) << hello.output;
  EXPECT_EQ(lines_of(hello.output, "init").size(), 1u) << hello.output;
  CommandResult warnings = logs(node, "--level warning");
  EXPECT_EQ(warnings.exit_code, 0);
  EXPECT_EQ(warnings.output.find(" info "), std::string::npos) << warnings.output;

  TempDir elsewhere;
  std::string wrong_key = (elsewhere.path() / "operator.key").string();
  std::ofstream(wrong_key) << std::string(64, 'a') << "\n";
  for (int i = 0; i < 3; ++i) {
    CommandResult refused =
        run_command(cli() + " logs " + node.address() + " --operator-key " + wrong_key + " 2>&1");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("error: the operator key is wrong"), std::string::npos)
        << refused.output;
  }
  httplib::Client http("127.0.0.1", node.port());
  auto anonymous = http.Get("/logs");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

TEST(Logs, FollowPrintsTheLinesThatCome) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  TempDir out;
  std::string file = (out.path() / "followed").string();
  std::thread follower([&] {
    run_command("timeout 4 " + cli() + " logs -f --module hello " + node.address() +
                " --operator-key " + (node.data_dir() / "operator.key").string() + " > " + file +
                " 2>&1");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_NO_FATAL_FAILURE(greet(node, "Bob"));
  follower.join();
  std::ifstream in(file);
  std::string followed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(followed.find("[hello::init] Hello world !"), std::string::npos) << followed;
  EXPECT_NE(followed.find("Hello, Bob!"), std::string::npos) << followed;
}

TEST(Logs, TheFileIsRotatedBySize) {
  NodeProcess node({"hello"}, {"--log-file-kib", "1", "--log-files", "2"});
  ASSERT_NE(node.port(), 0) << node.output();
  for (int i = 0; i < 30; ++i) ASSERT_NO_FATAL_FAILURE(greet(node, fmt::format("guest {}", i)));
  ASSERT_TRUE(node.wait_for_output("Hello, guest 29!")) << node.output();
  EXPECT_TRUE(std::filesystem::exists(node.data_dir() / "node.log"));
  EXPECT_TRUE(std::filesystem::exists(node.data_dir() / "node.1.log"));
  EXPECT_FALSE(std::filesystem::exists(node.data_dir() / "node.2.log"));
  EXPECT_LE(std::filesystem::file_size(node.data_dir() / "node.log"), 1024u);
}

}  // namespace
