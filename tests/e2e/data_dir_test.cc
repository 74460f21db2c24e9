// The data directory against a second node, `log repair` under a running
// node, and other local users (docs/node.md, "Data directory").
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

namespace {

using interstice::testing::NodeProcess;

interstice::testing::CommandResult run_cli(const std::string& args) {
  // `timeout`: a command that wrongly starts serving must not hang the test.
  return interstice::testing::run_command("timeout 10 " + std::string(INTERSTICE_CLI) + " " + args);
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

TEST(DataDir, ASecondNodeOnTheSameDirectoryIsRefusedWithTheHoldersPid) {
  NodeProcess first({"hello"});
  ASSERT_NE(first.port(), 0) << first.output();
  auto second = run_cli("start --port 0 --data-dir " + first.data_dir().string());
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("is in use by another process (node, pid " +
                               std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second.output;
  // Once the first one stops, the directory is free again (also after kill -9).
  first.kill_hard();
  first.restart();
  EXPECT_NE(first.port(), 0) << first.output();
}

TEST(DataDir, LogRepairRefusesWhileANodeRuns) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  auto refused = run_cli("log repair --yes " + node.data_dir().string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("in use by another process (node, pid"), std::string::npos)
      << refused.output;
  node.stop();
  auto repaired = run_cli("log repair --yes " + node.data_dir().string());
  EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
  EXPECT_NE(repaired.output.find("intact"), std::string::npos) << repaired.output;
}

TEST(DataDir, ANewDirectoryAndItsKeysAreOnlyTheOwners) {
  interstice::testing::TempDir parent;
  std::filesystem::path data = parent.path() / "new" / "data";
  // Runs 2 s, then `timeout` stops it (SIGTERM).
  auto node = interstice::testing::run_command("timeout 2 " + std::string(INTERSTICE_CLI) +
                                               " start --port 0 --data-dir " + data.string());
  ASSERT_NE(node.output.find("listening on"), std::string::npos) << node.output;
  EXPECT_EQ(mode_of(data), 0700u);
  EXPECT_EQ(mode_of(data / "identity.key"), 0600u);
  EXPECT_EQ(mode_of(data / "operator.key"), 0600u);
  EXPECT_FALSE(std::filesystem::exists(data / "identity.key.tmp"));
  EXPECT_EQ(node.output.find("accessible to other users"), std::string::npos) << node.output;
}

TEST(DataDir, KeysAndADirectoryOpenToOthersAreWarnedAbout) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  node.stop();
  std::filesystem::path dir = node.data_dir();
  ::chmod((dir / "identity.key").c_str(), 0644);
  ::chmod((dir / "operator.key").c_str(), 0640);
  ::chmod(dir.c_str(), 0755);
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  std::string log = node.output();
  EXPECT_NE(log.find("`chmod 600 " + (dir / "identity.key").string() + "`"), std::string::npos)
      << log;
  EXPECT_NE(log.find("`chmod 600 " + (dir / "operator.key").string() + "`"), std::string::npos)
      << log;
  EXPECT_NE(log.find("`chmod 700 " + dir.string() + "`"), std::string::npos) << log;
}

}  // namespace
