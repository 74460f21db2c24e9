// `interstice replay --verify` on the data directory of a real node whose
// history changed its modules: each transaction re-executes with the
// version of its module that ran it (lifecycle records), migrations run
// again, removals and restarts happen where they did.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <filesystem>
#include <regex>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

std::string wasm(const std::string& module) {
  return std::string(INTERSTICE_MODULE_DIR) + "/" + module + ".wasm";
}

void publish(NodeProcess& node, const std::string& module) {
  CommandResult r = run_command(cli() + " publish --addr " + node.address() + " --operator-key " +
                                (node.data_dir() / "operator.key").string() + " " + wasm(module));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

void call(NodeProcess& node, const std::string& reducer, const std::string& name) {
  httplib::Client http("127.0.0.1", node.port());
  auto response =
      http.Post("/call/hello/" + reducer, fmt::format(R"(["{}"])", name), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
}

// Stops the node and verifies its log offline.
CommandResult verify(NodeProcess& node) {
  node.stop();
  return run_command(cli() + " replay " + node.data_dir().string() + " --verify");
}

TEST(ReplayHistory, VerifyPassesAcrossPublishMigrationRemoveAndRestarts) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Ann"));
  ASSERT_NO_FATAL_FAILURE(publish(node, "hello_v5"));  // a column added, with its default
  ASSERT_NO_FATAL_FAILURE(call(node, "bonjour", "Bo"));
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Cy"));
  ASSERT_NO_FATAL_FAILURE(publish(node, "hello_v6"));  // a declared migration
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Dee"));
  node.kill_hard();  // a crash: the restart re-applies the log after the snapshot
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  CommandResult removed =
      run_command(cli() + " module remove --yes " + node.address() + " hello --operator-key " +
                  (node.data_dir() / "operator.key").string());
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  ASSERT_NO_FATAL_FAILURE(publish(node, "hello"));  // anew: its init runs again
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Eve"));
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Flo"));

  CommandResult verified = verify(node);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("every effect matches the log"), std::string::npos)
      << verified.output;
  CommandResult log = run_command(cli() + " log inspect " + node.data_dir().string());
  for (const char* expected :
       {"#1 node_start: hello ", " publish hello ", " remove hello", "node_start: hello "})
    EXPECT_NE(log.output.find(expected), std::string::npos) << expected << "\n" << log.output;
}

// What replay executes is what the node ran: a transaction whose recorded
// effects differ from what its module does is still reported.
TEST(ReplayHistory, AVersionThatIsNotTheOneThatRanIsADivergence) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Ann"));
  node.stop();
  // Swap the stored wasm of hello 0.1.0 for 0.2.0's under the same name in
  // modules/: the log's node-start record names the hash that ran, so
  // replay uses the stored one and still passes ...
  std::filesystem::copy_file(wasm("hello_v2"), node.data_dir() / "modules" / "hello.wasm",
                             std::filesystem::copy_options::overwrite_existing);
  CommandResult verified = verify(node);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  // ... and a store whose copy was replaced by another module's bytes is refused.
  for (const auto& entry : std::filesystem::directory_iterator(node.data_dir() / "store"))
    std::filesystem::copy_file(wasm("hello_v3"), entry.path(),
                               std::filesystem::copy_options::overwrite_existing);
  CommandResult damaged = verify(node);
  EXPECT_EQ(damaged.exit_code, 1) << damaged.output;
  EXPECT_NE(damaged.output.find("is damaged (its hash does not match)"), std::string::npos)
      << damaged.output;
}

}  // namespace

namespace {

// `log inspect` decodes the records of a module that is no longer loaded
// with the version the log says ran them (from the module store), and
// prints times as UTC.
TEST(LogInspect, ARemovedModulesRecordsAreDecodedWithTheVersionThatRanThem) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "hello", "Ann"));
  CommandResult removed =
      run_command(cli() + " module remove --yes " + node.address() + " hello --operator-key " +
                  (node.data_dir() / "operator.key").string());
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  node.stop();
  ASSERT_FALSE(std::filesystem::exists(node.data_dir() / "modules" / "hello.wasm"));

  CommandResult log = run_command("(" + cli() + " log inspect " + node.data_dir().string() +
                                  " --module hello 2>/dev/null)");
  ASSERT_EQ(log.exit_code, 0) << log.output;
  EXPECT_EQ(log.output.find("not decoded"), std::string::npos) << log.output;
  EXPECT_TRUE(std::regex_search(
      log.output, std::regex(R"(\.hello\("Ann"\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << log.output;
  EXPECT_NE(log.output.find(R"(insert greetings {"id":1,"greeting":"Hello, Ann!")"),
            std::string::npos)
      << log.output;
}

}  // namespace
