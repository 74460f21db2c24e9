// Authorities on a real node: the operator grants File with the operator key,
// the module that requested it writes into its own directory under the data
// directory, and a revoke takes it away between transactions.
#include <gtest/gtest.h>

#include <httplib.h>

#include <fstream>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;

// `start --file-quota` bounds each module's files on a running node; a bad
// value is a usage error.
TEST(Authorities, TheFileQuotaIsTheOperators) {
  CommandResult bad = run_command(std::string(INTERSTICE_CLI) + " start --file-quota 0 2>&1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--file-quota"), std::string::npos) << bad.output;
  NodeProcess node({"file_user"}, {"--grant", "file", "--file-quota", "1"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  std::string big = "[\"big\", \"" + std::string(600 << 10, 'x') + "\"]";
  auto first = http.Post("/call/file_user/save", big, "application/json");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  auto second =
      http.Post("/call/file_user/save", "[\"more\", \"" + std::string(600 << 10, 'y') + "\"]",
                "application/json");
  ASSERT_TRUE(second);
  EXPECT_TRUE(node.wait_for_output("write big: ok")) << node.output();
  EXPECT_TRUE(node.wait_for_output("write more: status 22")) << node.output();
  EXPECT_FALSE(std::filesystem::exists(node.data_dir() / "files" / "file_user" / "more"));
}

TEST(Authorities, GrantUseAndRevokeFileOnARunningNode) {
  NodeProcess node({}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string cli = INTERSTICE_CLI;
  std::string key = " --operator-key " + (node.data_dir() / "operator.key").string();
  std::string module = std::string(INTERSTICE_MODULE_DIR) + "/file_user.wasm";

  CommandResult refused =
      run_command(cli + " publish --addr " + node.address() + key + " " + module + " 2>&1");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("requests the File authority, which this node does not grant"),
            std::string::npos)
      << refused.output;

  httplib::Client http("127.0.0.1", node.port());
  auto anonymous = http.Post("/authorities/file/grant");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  CommandResult granted = run_command(cli + " authority grant " + node.address() + " file" + key);
  EXPECT_EQ(granted.exit_code, 0) << granted.output;
  EXPECT_NE(granted.output.find("file granted"), std::string::npos) << granted.output;
  CommandResult published =
      run_command(cli + " publish --addr " + node.address() + key + " " + module);
  ASSERT_EQ(published.exit_code, 0) << published.output;
  CommandResult list = run_command(cli + " authority list " + node.address());
  EXPECT_NE(list.output.find("file granted, held by file_user"), std::string::npos) << list.output;

  ASSERT_EQ(
      http.Post("/call/file_user/save", R"(["greeting.txt", "hi"])", "application/json")->status,
      200);
  EXPECT_TRUE(node.wait_for_output("[file_user::save] write greeting.txt: ok")) << node.output();
  std::ifstream written(node.data_dir() / "files" / "file_user" / "greeting.txt");
  std::string text((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hi");

  CommandResult revoked = run_command(cli + " authority revoke " + node.address() + " file" + key);
  EXPECT_EQ(revoked.exit_code, 0) << revoked.output;
  ASSERT_EQ(http.Post("/call/file_user/load", R"(["greeting.txt"])", "application/json")->status,
            200);
  EXPECT_TRUE(node.wait_for_output("[file_user::load] read greeting.txt: status 13"))
      << node.output();
  CommandResult unknown =
      run_command(cli + " authority grant " + node.address() + " teleport" + key + " 2>&1");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("no authority 'teleport'"), std::string::npos);
}

}  // namespace
