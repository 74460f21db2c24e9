// `interstice wasm run` as a user runs it: the real binary on the real demo
// module, checking what it prints and its exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "support/command_runner.h"
#include "support/temp_dir.h"

namespace {

using CliRun = interstice::testing::CommandResult;

CliRun run_cli(const std::string& args) {
  // Every run shares one temporary cache directory, so tests do not touch ~/.cache.
  static interstice::testing::TempDir cache;
  return interstice::testing::run_command("XDG_CACHE_HOME=" + cache.path().string() +
                                          " " INTERSTICE_CLI " " + args);
}

const std::string kDemo = INTERSTICE_MODULE_DIR "/demo.wasm";

TEST(WasmRun, PrintsResultAndFuel) {
  CliRun run = run_cli("wasm run " + kDemo + " --invoke fib 20");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(run.output.starts_with("6765\n")) << run.output;
  EXPECT_NE(run.output.find("fuel used: "), std::string::npos) << run.output;
}

TEST(WasmRun, ParsesArgumentsByParameterType) {
  CliRun run = run_cli("wasm run " + kDemo + " --invoke add -- -5 4294967295");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(run.output.starts_with("-6\n")) << run.output;
}

TEST(WasmRun, TrapPrintsKindAndBacktrace) {
  CliRun run = run_cli("wasm run " + kDemo + " --invoke divide 7 0");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("trapped in 'divide': integer divide by zero"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("demo.wasm!divide"), std::string::npos) << run.output;
}

TEST(WasmRun, EndlessLoopRunsOutOfFuel) {
  CliRun run = run_cli("wasm run " + kDemo + " --invoke spin --fuel 1000000");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("out of fuel"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("fuel used: 1000000"), std::string::npos) << run.output;
}

TEST(WasmRun, BadInputGetsAClearMessage) {
  CliRun missing = run_cli("wasm run /nonexistent/module.wasm --invoke f");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.output, "error: /nonexistent/module.wasm: no such file\n");

  interstice::testing::TempDir dir;
  std::string junk = (dir.path() / "junk.wasm").string();
  std::ofstream(junk) << "\0asm garbage";
  CliRun malformed = run_cli("wasm run " + junk + " --invoke f");
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.output.find("junk.wasm: failed to parse WebAssembly module"),
            std::string::npos)
      << malformed.output;

  CliRun no_export = run_cli("wasm run " + kDemo + " --invoke nope");
  EXPECT_EQ(no_export.exit_code, 1);
  EXPECT_NE(no_export.output.find("has no export 'nope'"), std::string::npos) << no_export.output;

  CliRun arity = run_cli("wasm run " + kDemo + " --invoke add 1");
  EXPECT_EQ(arity.exit_code, 1);
  EXPECT_NE(arity.output.find("'add' takes 2 argument(s) (i32, i32) -> (i32), got 1"),
            std::string::npos)
      << arity.output;

  CliRun type = run_cli("wasm run " + kDemo + " --invoke add 1 2.5");
  EXPECT_EQ(type.exit_code, 1);
  EXPECT_NE(type.output.find("argument 2: '2.5' is not a valid i32"), std::string::npos)
      << type.output;

  CliRun range = run_cli("wasm run " + kDemo + " --invoke add 1 4294967296");
  EXPECT_EQ(range.exit_code, 1);
}

TEST(WasmRun, WrongCommandLineIsAUsageError) {
  CliRun no_invoke = run_cli("wasm run " + kDemo);
  EXPECT_EQ(no_invoke.exit_code, 2);
  EXPECT_NE(no_invoke.output.find("--invoke is required"), std::string::npos) << no_invoke.output;
  CliRun unknown = run_cli("wasm frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
  CliRun bad_fuel = run_cli("wasm run " + kDemo + " --invoke spin --fuel lots");
  EXPECT_EQ(bad_fuel.exit_code, 2);
}

TEST(WasmRun, RunsTextModules) {
  interstice::testing::TempDir dir;
  std::string wat = (dir.path() / "sq.wat").string();
  std::ofstream(wat) << R"((module (func (export "sq") (param f64) (result f64)
      local.get 0 local.get 0 f64.mul)))";
  CliRun run = run_cli("wasm run " + wat + " --invoke sq 1.5");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(run.output.starts_with("2.25\n")) << run.output;
}

}  // namespace
