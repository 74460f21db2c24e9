// `interstice init` and `interstice build`: a new project builds out of the
// box against the SDK, and the module it makes runs on a real node.
#include <gtest/gtest.h>

#include <httplib.h>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using interstice::testing::TempDir;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

// `lang`: "cpp" or "rust"; the two templates make the same module.
void init_build_publish_and_call(const std::string& lang) {
  TempDir projects;
  std::string dir = (projects.path() / "shop").string();
  CommandResult init =
      run_command(cli() + " init shop --lang " + lang + " --in " + projects.path().string());
  ASSERT_EQ(init.exit_code, 0) << init.output;
  EXPECT_NE(init.output.find("next: interstice build " + dir), std::string::npos) << init.output;
  CommandResult again =
      run_command(cli() + " init shop --in " + projects.path().string() + " 2>&1");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("already exists and is not empty"), std::string::npos);

  CommandResult build = run_command(cli() + " build " + dir + " 2>&1");
  ASSERT_EQ(build.exit_code, 0) << build.output;
  std::string wasm = dir + "/build/modules/shop.wasm";
  EXPECT_NE(build.output.find("built " + wasm), std::string::npos) << build.output;

  NodeProcess node({}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  CommandResult published =
      run_command(cli() + " publish --addr " + node.address() + " --operator-key " +
                  (node.data_dir() / "operator.key").string() + " " + wasm);
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_TRUE(node.wait_for_output("[shop::init] shop is ready")) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_EQ(http.Post("/call/shop/add_note", R"(["milk"])", "application/json")->status, 200);
  EXPECT_EQ(http.Get("/tables/shop/notes")->body, R"([{"id":1,"text":"milk"}])");
  EXPECT_TRUE(node.wait_for_output("[shop::on_note] note #1: milk"));
  // Building again is quick and leaves the module as it was.
  CommandResult rebuilt = run_command(cli() + " build " + dir + " 2>&1");
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
}

TEST(Projects, InitBuildPublishAndCall) {
  init_build_publish_and_call("cpp");
}

TEST(Projects, InitBuildPublishAndCallInRust) {
  init_build_publish_and_call("rust");
}

TEST(Projects, BadNamesAndMissingProjectsAreRefused) {
  TempDir projects;
  CommandResult bad =
      run_command(cli() + " init 9lives --in " + projects.path().string() + " 2>&1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("'9lives' cannot be a module name"), std::string::npos);
  CommandResult missing = run_command(cli() + " build " + projects.path().string() + " 2>&1");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("has no CMakeLists.txt"), std::string::npos) << missing.output;
}

}  // namespace
