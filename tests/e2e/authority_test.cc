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
