// Publishing to a real node: only the holder of the operator key may install,
// replace or remove modules; a replacement keeps the rows, a breaking one is
// refused with the reason, and a restart comes back with what was published.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::CommandResult;
using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using interstice::testing::TempDir;

std::string wasm(const std::string& module) {
  return std::string(INTERSTICE_MODULE_DIR) + "/" + module + ".wasm";
}

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

CommandResult publish(NodeProcess& node, const std::string& module, const std::string& key) {
  return run_command(cli() + " publish --addr " + node.address() + " --operator-key " + key + " " +
                     wasm(module) + " 2>&1");
}

// hello.hello(name) for each name: a row each in hello.greetings.
void greet(httplib::Client& http, std::initializer_list<const char*> names) {
  for (const char* name : names)
    ASSERT_EQ(
        http.Post("/call/hello/hello", fmt::format(R"(["{}"])", name), "application/json")->status,
        200);
}

std::string key_of(NodeProcess& node) {
  return (node.data_dir() / "operator.key").string();
}

// `publish --dry-run`: its standard output only.
CommandResult dry_run(NodeProcess& node, const std::string& module, const std::string& key) {
  return run_command("(" + cli() + " publish --dry-run --addr " + node.address() +
                     " --operator-key " + key + " " + wasm(module) + " 2>/dev/null)");
}

TEST(Publishing, WithoutTheOperatorKeyNothingChanges) {
  NodeProcess node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(node.port(), 0) << node.output();
  TempDir elsewhere;
  std::string wrong_key = (elsewhere.path() / "operator.key").string();
  std::ofstream(wrong_key) << std::string(64, 'a') << "\n";

  CommandResult wrong = publish(node, "hello_v2", wrong_key);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.output.find("error: the operator key is wrong"), std::string::npos)
      << wrong.output;
  CommandResult missing = publish(node, "hello_v2", (elsewhere.path() / "none").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("cannot read the operator key"), std::string::npos);

  // A client that is not the CLI, with no credentials at all.
  httplib::Client http("127.0.0.1", node.port());
  auto anonymous = http.Post("/modules", "\0asm", "application/wasm");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_NE(anonymous->body.find("needs the node's operator key"), std::string::npos);
  auto remove = http.Delete("/modules/hello");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->status, 401);

  auto modules = http.Get("/modules");
  ASSERT_TRUE(modules);
  EXPECT_NE(modules->body.find(R"("name":"hello","version":"0.1.0")"), std::string::npos)
      << modules->body;
}

size_t files_in(const std::filesystem::path& dir) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    count += entry.is_regular_file();
  return count;
}

// What is not a module is refused with a clear error (as JSON with --json),
// many times in a row, and the module store keeps none of it.
TEST(Publishing, ARefusedUploadLeavesNothingInTheStore) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  size_t stored = files_in(node.data_dir() / "store");
  TempDir elsewhere;
  for (int i = 0; i < 3; ++i) {
    std::string junk = (elsewhere.path() / fmt::format("junk{}.wasm", i)).string();
    std::ofstream(junk) << "not a module " << i;
    CommandResult refused =
        run_command("(" + cli() + " publish --json --addr " + node.address() + " --operator-key " +
                    key_of(node) + " " + junk + " 2>/dev/null)");
    EXPECT_EQ(refused.exit_code, 1);
    auto answer = nlohmann::json::parse(refused.output, nullptr, false);
    ASSERT_TRUE(answer.is_object()) << refused.output;
    EXPECT_NE(answer.value("error", "").find("failed to parse WebAssembly module"),
              std::string::npos)
        << refused.output;
  }
  CommandResult unreadable =
      run_command("(" + cli() + " publish --json --addr " + node.address() + " --operator-key " +
                  key_of(node) + " /nonexistent.wasm 2>/dev/null)");
  EXPECT_EQ(unreadable.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(unreadable.output, nullptr, false).value("error", ""),
            "cannot read /nonexistent.wasm")
      << unreadable.output;
  EXPECT_EQ(files_in(node.data_dir() / "store"), stored);

  CommandResult good = publish(node, "hello_v2", key_of(node));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(files_in(node.data_dir() / "store"), stored + 1);
}

TEST(Publishing, ReplaceKeepsRowsRefusesBreakingChangesAndSurvivesRestart) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo"}));
  std::string rows = http.Get("/tables/hello/greetings")->body;

  CommandResult replaced = publish(node, "hello_v2", key_of(node));
  EXPECT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_NE(replaced.output.find("replaced hello 0.1.0 with 0.2.0 (its data kept)"),
            std::string::npos)
      << replaced.output;
  EXPECT_EQ(http.Get("/tables/hello/greetings")->body, rows);

  CommandResult breaking = publish(node, "hello_v3", key_of(node));
  EXPECT_EQ(breaking.exit_code, 1);
  EXPECT_NE(breaking.output.find("table greetings has 2 rows and its definition changed"),
            std::string::npos)
      << breaking.output;

  TempDir junk_dir;
  std::string junk = (junk_dir.path() / "junk.wasm").string();
  std::ofstream(junk) << "not wasm at all";
  CommandResult malformed = run_command(cli() + " publish --addr " + node.address() +
                                        " --operator-key " + key_of(node) + " " + junk + " 2>&1");
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.output.find("error: "), std::string::npos) << malformed.output;

  CommandResult added = publish(node, "testkit", key_of(node));
  EXPECT_EQ(added.exit_code, 0) << added.output;
  EXPECT_NE(added.output.find("installed testkit 1.2.3"), std::string::npos) << added.output;

  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client again("127.0.0.1", node.port());
  std::string modules = again.Get("/modules")->body;
  EXPECT_NE(modules.find(R"("name":"hello","version":"0.2.0")"), std::string::npos) << modules;
  EXPECT_NE(modules.find(R"("name":"testkit","version":"1.2.3")"), std::string::npos);
  EXPECT_EQ(again.Get("/tables/hello/greetings")->body, rows);

  CommandResult removed = run_command("echo y | " + cli() + " module remove " + node.address() +
                                      " testkit --operator-key " + key_of(node) + " 2>&1");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_NE(removed.output.find("removed testkit"), std::string::npos);
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client third("127.0.0.1", node.port());
  EXPECT_EQ(third.Get("/modules")->body.find("testkit"), std::string::npos);
  EXPECT_EQ(third.Get("/tables/hello/greetings")->body, rows);
}

// `publish --dry-run` says what publishing would do to each table, and
// whether the node would refuse it, and changes nothing.
TEST(Publishing, DryRunSaysWhatWouldHappenAndChangesNothing) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo"}));
  std::string modules = http.Get("/modules")->body;

  CommandResult compatible = dry_run(node, "hello_v2", key_of(node));
  EXPECT_EQ(compatible.exit_code, 0) << compatible.output;
  EXPECT_EQ(compatible.output,
            "would replace hello 0.1.0 with 0.2.0\n"
            "  table greetings: kept, 2 rows\n"
            "dry run: nothing changed\n");

  CommandResult breaking = dry_run(node, "hello_v3", key_of(node));
  EXPECT_EQ(breaking.exit_code, 1) << breaking.output;
  EXPECT_NE(breaking.output.find(
                "  table greetings: changed, 2 rows (new column language has no default)\n"),
            std::string::npos)
      << breaking.output;
  EXPECT_NE(breaking.output.find("refused: cannot replace module 'hello' with 0.3.0: table "
                                 "greetings has 2 rows and its definition changed"),
            std::string::npos)
      << breaking.output;

  CommandResult fresh = dry_run(node, "testkit", key_of(node));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_EQ(fresh.output.rfind("would install testkit 1.2.3 (its init runs)\n", 0), 0u)
      << fresh.output;
  EXPECT_NE(fresh.output.find(": new\n"), std::string::npos) << fresh.output;

  TempDir elsewhere;
  std::string wrong_key = (elsewhere.path() / "key").string();
  std::ofstream(wrong_key) << "not the key\n";
  EXPECT_EQ(dry_run(node, "hello_v2", wrong_key).exit_code, 1);

  // Nothing changed: the same modules, versions and rows.
  EXPECT_EQ(http.Get("/modules")->body, modules);
  CommandResult published = publish(node, "hello_v2", key_of(node));
  EXPECT_EQ(published.exit_code, 0) << published.output;
  EXPECT_NE(published.output.find("replaced hello 0.1.0 with 0.2.0"), std::string::npos);
}

// A version whose only change is its indexes keeps the rows, indexed anew;
// a new unique index that two rows violate refuses it, naming the value.
TEST(Publishing, NewIndexesKeepTheRowsUnlessAUniqueOneIsViolated) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo", "Ann"}));
  std::string rows = http.Get("/tables/hello/greetings")->body;

  CommandResult plan = dry_run(node, "hello_v4", key_of(node));
  EXPECT_EQ(plan.exit_code, 1) << plan.output;
  EXPECT_NE(plan.output.find("  table greetings: reindexed, 3 rows (+index unique_greeting, "
                             "-index by_greeting)\n"),
            std::string::npos)
      << plan.output;
  std::string why =
      "the new unique index unique_greeting of table greetings finds 2 rows with greeting = "
      "\"Hello, Ann!\" (1 shared values in all)";
  EXPECT_NE(plan.output.find(why), std::string::npos) << plan.output;
  CommandResult refused = publish(node, "hello_v4", key_of(node));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find(why), std::string::npos) << refused.output;
  EXPECT_NE(http.Get("/modules")->body.find(R"("version":"0.1.0")"), std::string::npos);
  EXPECT_EQ(http.Get("/tables/hello/greetings")->body, rows);

  NodeProcess clean({"hello"}, {});
  ASSERT_NE(clean.port(), 0) << clean.output();
  httplib::Client second("127.0.0.1", clean.port());
  ASSERT_NO_FATAL_FAILURE(greet(second, {"Ann", "Bo"}));
  std::string kept = second.Get("/tables/hello/greetings")->body;
  CommandResult published = publish(clean, "hello_v4", key_of(clean));
  EXPECT_EQ(published.exit_code, 0) << published.output;
  EXPECT_EQ(second.Get("/tables/hello/greetings")->body, kept);
  // The unique index holds: a second "Hello, Ann!" does not go in (the
  // module's insert is refused), a new greeting does.
  second.Post("/call/hello/hello", R"(["Ann"])", "application/json");
  ASSERT_EQ(second.Post("/call/hello/hello", R"(["Cy"])", "application/json")->status, 200);
  std::string after = second.Get("/tables/hello/greetings")->body;
  auto count = [&](const std::string& text) {
    size_t n = 0;
    for (size_t at = after.find(text); at != std::string::npos; at = after.find(text, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("Hello, Ann!"), 1u) << after;
  EXPECT_EQ(count("Hello, Cy!"), 1u) << after;
}

// `module remove` says how many rows go and asks first: nothing goes
// without a "y" (or --yes); no answer at all (no terminal) is a no.
TEST(Publishing, ModuleRemoveAsksFirstAndSaysHowManyRowsGo) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo", "Cy"}));
  std::string rows = http.Get("/tables/hello/greetings")->body;
  std::string remove =
      cli() + " module remove " + node.address() + " hello --operator-key " + key_of(node);

  for (const std::string& answer : {std::string("< /dev/null"), std::string("<<< n"),
                                    std::string("<<< ''"), std::string("<<< nope")}) {
    CommandResult declined = run_command("bash -c \"" + remove + " 2>&1 " + answer + "\"");
    EXPECT_EQ(declined.exit_code, 1) << answer << ": " << declined.output;
    EXPECT_NE(declined.output.find("Remove module hello from " + node.address() +
                                   ", deleting its 3 rows in 1 "
                                   "tables? This cannot be undone. [y/N]"),
              std::string::npos)
        << declined.output;
    EXPECT_NE(declined.output.find("nothing removed"), std::string::npos) << declined.output;
    EXPECT_EQ(http.Get("/tables/hello/greetings")->body, rows) << answer;
  }

  CommandResult unknown = run_command(cli() + " module remove " + node.address() +
                                      " nope --yes --operator-key " + key_of(node) + " 2>&1");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("no module 'nope' is loaded"), std::string::npos) << unknown.output;

  CommandResult removed = run_command(remove + " --yes 2>&1");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_EQ(removed.output, "removed hello and its 3 rows\n");
  EXPECT_EQ(http.Get("/modules")->body.find("hello"), std::string::npos);
  EXPECT_EQ(http.Get("/tables/hello/greetings")->status, 404);
}

}  // namespace

namespace {

TEST(Bindings, FromARunningNodeOrAWasmFile) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  CommandResult from_node = run_command(cli() + " bindings --addr " + node.address() + " hello");
  EXPECT_EQ(from_node.exit_code, 0) << from_node.output;
  EXPECT_NE(from_node.output.find("namespace hello_bindings {"), std::string::npos);
  EXPECT_NE(from_node.output.find("uint64_t hello(const std::string& name) const {"),
            std::string::npos)
      << from_node.output;
  CommandResult from_file = run_command(cli() + " bindings " + wasm("hello"));
  EXPECT_EQ(from_file.output, from_node.output);
  CommandResult unknown = run_command(cli() + " bindings --addr " + node.address() + " nope 2>&1");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("error: no module 'nope' is loaded"), std::string::npos);
  // `generate` is the general command: --lang cpp is the same header, --lang ts the
  // TypeScript module (clients/typescript/test uses it against a node).
  EXPECT_EQ(run_command(cli() + " generate --lang cpp " + wasm("hello")).output, from_file.output);
  CommandResult ts = run_command(cli() + " generate --lang ts --addr " + node.address() + " hello");
  EXPECT_EQ(ts.exit_code, 0) << ts.output;
  EXPECT_NE(ts.output.find("  hello(name: string): Promise<void> {"), std::string::npos)
      << ts.output;
  EXPECT_EQ(run_command(cli() + " generate --lang ts " + wasm("hello")).output, ts.output);
  // --lang rust from the node too; an unknown language is a usage error.
  CommandResult rust =
      run_command("(" + cli() + " generate --lang rust --addr " + node.address() + " hello)");
  EXPECT_EQ(rust.exit_code, 0) << rust.output;
  EXPECT_NE(rust.output.find("pub fn hello(&self, name: ::std::string::String)"), std::string::npos)
      << rust.output;
  EXPECT_EQ(run_command(cli() + " generate --lang go " + wasm("hello")).exit_code, 2);
}

}  // namespace

// The rows of hello.greetings as the node serves them (JSON).
std::string greetings(httplib::Client& http) {
  auto response = http.Get("/tables/hello/greetings");
  return response ? response->body : "(no answer)";
}

// The upgrades below run with the C++ versions of hello (hello_v5, hello_v6)
// and with the Rust ones (rust_hello_v5, rust_hello_v6), each over the C++
// hello 0.1.0: a module may change language between versions.
class Upgrades : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Languages, Upgrades, ::testing::Values("", "rust_"),
                         [](const auto& info) { return info.param.empty() ? "Cpp" : "Rust"; });

// A new column declared with a default: every row is kept, with the default.
TEST_P(Upgrades, AColumnWithADefaultIsAddedToEveryRow) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo"}));

  CommandResult plan = dry_run(node, GetParam() + "hello_v5", key_of(node));
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_EQ(plan.output,
            "would replace hello 0.1.0 with 0.5.0\n"
            "  table greetings: extended, 2 rows (+column language, +index by_language)\n"
            "dry run: nothing changed\n");
  CommandResult published = publish(node, GetParam() + "hello_v5", key_of(node));
  ASSERT_EQ(published.exit_code, 0) << published.output;
  ASSERT_EQ(http.Post("/call/hello/bonjour", R"(["Cy"])", "application/json")->status, 200);
  std::string expected =
      R"([{"id":1,"greeting":"Hello, Ann!","custom":{"val":0},"language":"en"},)"
      R"({"id":2,"greeting":"Hello, Bo!","custom":{"val":0},"language":"en"},)"
      R"({"id":3,"greeting":"Bonjour, Cy !","custom":{"val":5},"language":"fr"}])";
  EXPECT_EQ(greetings(http), expected);
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client again("127.0.0.1", node.port());
  EXPECT_EQ(greetings(again), expected);
}

// A change no default can make needs the migration the new version
// declares: it runs once per old row and writes the new ones.
TEST_P(Upgrades, ADeclaredMigrationTransformsTheRows) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Bo"}));

  CommandResult plan = dry_run(node, GetParam() + "hello_v6", key_of(node));
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_EQ(plan.output,
            "would replace hello 0.1.0 with 0.6.0\n"
            "  table greetings: migrated, 2 rows (by migrate_greetings)\n"
            "  table migrations: new\n"
            "dry run: nothing changed\n");
  CommandResult published = publish(node, GetParam() + "hello_v6", key_of(node));
  ASSERT_EQ(published.exit_code, 0) << published.output;
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Cy"}));
  std::string expected = R"([{"id":1,"salutation":"Hello","name":"Ann","language":"en"},)"
                         R"({"id":2,"salutation":"Hello","name":"Bo","language":"en"},)"
                         R"({"id":3,"salutation":"Hello","name":"Cy","language":"en"}])";
  EXPECT_EQ(greetings(http), expected);
  EXPECT_EQ(http.Get("/tables/hello/migrations")->body, R"([{"from":"0.1","rows":2}])");
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client again("127.0.0.1", node.port());
  EXPECT_EQ(greetings(again), expected);

  // From 0.5.0, whose rows have another shape, its other migration runs.
  NodeProcess second({"hello"}, {});
  ASSERT_NE(second.port(), 0) << second.output();
  httplib::Client http2("127.0.0.1", second.port());
  ASSERT_NO_FATAL_FAILURE(greet(http2, {"Ann"}));
  ASSERT_EQ(publish(second, GetParam() + "hello_v5", key_of(second)).exit_code, 0);
  ASSERT_EQ(http2.Post("/call/hello/bonjour", R"(["Cy"])", "application/json")->status, 200);
  CommandResult from_v5 = publish(second, GetParam() + "hello_v6", key_of(second));
  ASSERT_EQ(from_v5.exit_code, 0) << from_v5.output;
  EXPECT_EQ(greetings(http2), R"([{"id":1,"salutation":"Hello","name":"Ann","language":"en"},)"
                              R"({"id":2,"salutation":"Bonjour","name":"Cy","language":"fr"}])");
  EXPECT_EQ(http2.Get("/tables/hello/migrations")->body, R"([{"from":"0.5","rows":2}])");
}

// A migration that fails changes nothing, however often it is tried: the
// old version keeps serving its rows, and a restart brings it back.
TEST_P(Upgrades, AFailingMigrationLeavesTheOldVersionServing) {
  NodeProcess node({"hello"}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_NO_FATAL_FAILURE(greet(http, {"Ann", "Mallory", "Bo"}));
  std::string rows = greetings(http);
  const std::string old_version = R"("name":"hello","version":"0.1.0")";

  CommandResult plan = dry_run(node, GetParam() + "hello_v6", key_of(node));
  EXPECT_EQ(plan.exit_code, 1) << plan.output;
  EXPECT_NE(plan.output.find("refused: cannot replace module 'hello' with 0.6.0: the migration of "
                             "table greetings failed at its row 2 of 3"),
            std::string::npos)
      << plan.output;
  for (int attempt = 0; attempt < 5; ++attempt) {
    CommandResult refused = publish(node, GetParam() + "hello_v6", key_of(node));
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find(fmt::format(
                  "cannot replace module 'hello' with 0.6.0: the migration of table greetings "
                  "failed at its row 2 of {}, so nothing changed: reducer hello.migrate_greetings "
                  "failed: greeting 2 is Mallory's",
                  3 + attempt)),
              std::string::npos)
        << refused.output;
    EXPECT_NE(http.Get("/modules")->body.find(old_version), std::string::npos);
    ASSERT_NO_FATAL_FAILURE(greet(http, {"Dee"}));  // it goes on serving
  }
  std::string served = greetings(http);
  EXPECT_EQ(served.rfind(rows.substr(0, rows.size() - 1), 0), 0u) << served;
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client again("127.0.0.1", node.port());
  EXPECT_NE(again.Get("/modules")->body.find(old_version), std::string::npos);
  EXPECT_EQ(greetings(again), served);
}
