// A word that is not an interstice command: the nearest command is
// suggested (a swap, a missing or extra letter, a plural), a far one is
// not; and the real CLI says so with exit code 2.
#include "cli/command_suggestion.h"

#include <gtest/gtest.h>

#include "support/command_runner.h"

namespace interstice::cli {
namespace {

const std::vector<std::string> kCommands{"start", "call", "query",   "query-call", "sql",
                                         "log",   "node", "publish", "generate",   "bindings"};

TEST(CommandSuggestion, NearCommandsAreSuggestedAndFarOnesAreNot) {
  EXPECT_EQ(nearest_command("qeury", kCommands), "query");  // a swap
  EXPECT_EQ(nearest_command("strat", kCommands), "start");
  EXPECT_EQ(nearest_command("publsh", kCommands), "publish");  // a letter missing
  EXPECT_EQ(nearest_command("sqll", kCommands), "sql");        // one too many
  EXPECT_EQ(nearest_command("logs", kCommands), "log");        // a plural
  EXPECT_EQ(nearest_command("bindngs", kCommands), "bindings");
  EXPECT_EQ(nearest_command("xyzzy", kCommands), "");
  EXPECT_EQ(nearest_command("q", kCommands), "");
  EXPECT_EQ(nearest_command("", kCommands), "");
}

TEST(CommandSuggestion, TheCliNamesTheWordAndSuggests) {
  auto typo = testing::run_command(std::string(INTERSTICE_CLI) + " qeury 127.0.0.1:1 hello t");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("'qeury' is not an interstice command (did you mean 'query'?)"),
            std::string::npos)
      << typo.output;
  auto far = testing::run_command(std::string(INTERSTICE_CLI) + " xyzzy");
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_NE(far.output.find("'xyzzy' is not an interstice command; `interstice --help` lists"),
            std::string::npos)
      << far.output;
  // A real command still parses as before (here: its own usage error).
  auto real = testing::run_command(std::string(INTERSTICE_CLI) + " sql");
  EXPECT_EQ(real.exit_code, 2);
  EXPECT_EQ(real.output.find("is not an interstice command"), std::string::npos) << real.output;
}

}  // namespace
}  // namespace interstice::cli
