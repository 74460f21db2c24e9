// End to end: real node processes on loopback with real modules, driven
// through the CLI and the HTTP interface, as a user would.
#include <gtest/gtest.h>
#include <httplib.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;

using Cli = interstice::testing::CommandResult;

Cli run_cli(const std::string& args) {
  return interstice::testing::run_command(std::string(INTERSTICE_CLI) + " " + args);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(NodeEndToEnd, HelloGreetsAliceAndTheSubscriptionLogsIt) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  Cli call = run_cli("call " + node.address() + " hello hello '[\"Alice\"]'");
  EXPECT_EQ(call.exit_code, 0) << call.output;
  EXPECT_EQ(call.output, "ok\n");
  Cli query = run_cli("query " + node.address() + " hello greetings");
  EXPECT_EQ(query.exit_code, 0) << query.output;
  EXPECT_EQ(query.output, "{\"id\":1,\"greeting\":\"Hello, Alice!\",\"custom\":{\"val\":0}}\n");
  std::string log = node.output();
  EXPECT_EQ(count(log, "[hello::init] Hello world !"), 1u) << log;
  EXPECT_EQ(count(log,
                  "[hello::on_greeting_insert] Inserted greeting: {id: 1, greeting: \"Hello, "
                  "Alice!\", custom: {val: 0}}"),
            1u)
      << log;
  Cli modules = run_cli("module list " + node.address());
  EXPECT_EQ(modules.output,
            "hello 0.1.0 public\n  tables: greetings (1 rows)\n  reducers: init, hello, "
            "on_greeting_insert\n");
  EXPECT_EQ(node.stop(), 0);
  EXPECT_NE(node.output().find("stopped"), std::string::npos);
}

TEST(NodeEndToEnd, EndlessLoopIsStoppedAndTheNodeStaysResponsive) {
  NodeProcess node({"testkit"}, {"--fuel", "20000000"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto spin = client.Post("/call/testkit/spin", "[]", "application/json");
  ASSERT_TRUE(spin);
  EXPECT_EQ(spin->status, 422);
  EXPECT_NE(spin->body.find("out of fuel"), std::string::npos) << spin->body;
  auto add = client.Post("/call/testkit/add", R"(["after", 1])", "application/json");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 200) << add->body;
  auto rows = client.Get("/tables/testkit/items");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->body, R"([{"id":1,"name":"after","score":1}])");
}

TEST(NodeEndToEnd, BadRequestsGetClearErrors) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto garbage = client.Post("/call/hello/hello", "{not json", "application/json");
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(garbage->body, R"({"error":"the request body is not valid JSON"})");
  auto wrong_type = client.Post("/call/hello/hello", "[42]", "application/json");
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_NE(wrong_type->body.find("expected a string"), std::string::npos);
  auto no_module = client.Post("/call/nope/hello", "[]", "application/json");
  EXPECT_EQ(no_module->status, 404);
  auto no_table = client.Get("/tables/hello/nope");
  EXPECT_EQ(no_table->status, 404);
  Cli unreachable = run_cli("query 127.0.0.1:1 hello greetings");
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.output.find("cannot reach a node at 127.0.0.1:1"), std::string::npos);
  Cli bad_args = run_cli("call " + node.address() + " hello hello 'not json'");
  EXPECT_EQ(bad_args.exit_code, 2);
  EXPECT_TRUE(client.Get("/health"));  // still up
}

TEST(NodeEndToEnd, ABrokenModuleFileIsReportedAndTheOthersServe) {
  NodeProcess node(
      [](const std::filesystem::path& dir) {
        std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/hello.wasm",
                                   dir / "modules" / "hello.wasm");
        std::ofstream(dir / "modules" / "broken.wasm") << "\0asm not really";
      },
      {});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string log = node.output();
  EXPECT_NE(log.find("broken.wasm: not loaded: broken.wasm: failed to parse WebAssembly module"),
            std::string::npos)
      << log;
  Cli call = run_cli("call " + node.address() + " hello hello '[\"Bob\"]'");
  EXPECT_EQ(call.exit_code, 0) << call.output;
}

TEST(NodeEndToEnd, TwoFreshNodesEndWithIdenticalTables) {
  std::vector<std::string> tables;
  for (int round = 0; round < 2; ++round) {
    NodeProcess node({"testkit"}, {"--seed", "7"});
    ASSERT_NE(node.port(), 0) << node.output();
    for (const char* args : {R"('["a", 3]')", R"('["b", -2]')", R"('["c", 9]')"})
      ASSERT_EQ(run_cli("call " + node.address() + " testkit add " + args).exit_code, 0);
    ASSERT_EQ(run_cli("call " + node.address() + " testkit set_score '[2, 5]'").exit_code, 0);
    ASSERT_EQ(run_cli("call " + node.address() + " testkit remove_item '[1]'").exit_code, 0);
    tables.push_back(run_cli("query " + node.address() + " testkit items --json").output);
  }
  EXPECT_EQ(tables[0], tables[1]);
  EXPECT_EQ(tables[0], R"([{"id":2,"name":"b","score":5},{"id":3,"name":"c","score":9}])"
                       "\n");
}

}  // namespace

namespace {

TEST(NodeDurability, RestartKeepsRowsAndCountersAndDoesNotRerunInit) {
  interstice::testing::TempDir keep;
  auto prepare = [&](const std::filesystem::path& dir) {
    std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/hello.wasm",
                               dir / "modules" / "hello.wasm");
  };
  std::string id;
  {
    NodeProcess node(prepare, {});
    ASSERT_NE(node.port(), 0) << node.output();
    id = run_cli("node id " + node.address()).output;
    EXPECT_EQ(id.size(), 65u) << id;  // 64 hex digits and a newline
    ASSERT_EQ(run_cli("call " + node.address() + " hello hello '[\"Alice\"]'").exit_code, 0);
    ASSERT_EQ(run_cli("call " + node.address() + " hello hello '[\"Bob\"]'").exit_code, 0);
    EXPECT_EQ(node.stop(), 0);
    std::filesystem::copy(node.data_dir(), keep.path(), std::filesystem::copy_options::recursive);
  }
  NodeProcess restarted(
      [&](const std::filesystem::path& dir) {
        std::filesystem::remove_all(dir);
        std::filesystem::copy(keep.path(), dir, std::filesystem::copy_options::recursive);
      },
      {});
  ASSERT_NE(restarted.port(), 0) << restarted.output();
  EXPECT_EQ(run_cli("node id " + restarted.address()).output, id);  // same identity
  ASSERT_EQ(run_cli("call " + restarted.address() + " hello hello '[\"Carol\"]'").exit_code, 0);
  Cli query = run_cli("query " + restarted.address() + " hello greetings");
  EXPECT_EQ(query.output,
            "{\"id\":1,\"greeting\":\"Hello, Alice!\",\"custom\":{\"val\":0}}\n"
            "{\"id\":2,\"greeting\":\"Hello, Bob!\",\"custom\":{\"val\":0}}\n"
            "{\"id\":3,\"greeting\":\"Hello, Carol!\",\"custom\":{\"val\":0}}\n");
  std::string log = restarted.output();
  // A clean shutdown leaves a snapshot of all 6 records (the node's start,
  // init, two calls and their subscribers); recovery starts from it.
  EXPECT_NE(log.find("restored the snapshot at offset 6"), std::string::npos) << log;
  EXPECT_EQ(count(log, "Hello world !"), 0u) << log;
}

TEST(NodeDurability, KillNineDuringAWriteStormLosesNoAcknowledgedCall) {
  interstice::testing::TempDir keep;
  uint64_t acknowledged = 0;
  {
    NodeProcess node({"testkit"}, {"--durability", "sync"});
    ASSERT_NE(node.port(), 0) << node.output();
    std::atomic<bool> stop{false};
    std::thread storm([&] {
      httplib::Client client("127.0.0.1", node.port());
      for (uint64_t i = 1; !stop; ++i) {
        auto res = client.Post("/call/testkit/add", "[\"item" + std::to_string(i) + "\", 0]",
                               "application/json");
        if (!res || res->status != 200) break;
        acknowledged = i;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    node.kill_hard();
    stop = true;
    storm.join();
    std::filesystem::copy(node.data_dir(), keep.path(), std::filesystem::copy_options::recursive);
  }
  ASSERT_GT(acknowledged, 10u);
  NodeProcess restarted(
      [&](const std::filesystem::path& dir) {
        std::filesystem::remove_all(dir);
        std::filesystem::copy(keep.path(), dir, std::filesystem::copy_options::recursive);
      },
      {});
  ASSERT_NE(restarted.port(), 0) << restarted.output();
  Cli query = run_cli("query " + restarted.address() + " testkit items");
  size_t rows = count(query.output, "\n");
  EXPECT_GE(rows, acknowledged) << restarted.output();
  EXPECT_LE(rows, acknowledged + 1);  // at most the one in flight when the node died
  for (uint64_t i = 1; i <= acknowledged; ++i)
    ASSERT_NE(query.output.find("\"name\":\"item" + std::to_string(i) + "\""), std::string::npos)
        << i;
}

TEST(NodeDurability, ADamagedIdentityStopsTheNode) {
  NodeProcess node(
      [](const std::filesystem::path& dir) { std::ofstream(dir / "identity.key") << "garbage"; },
      {});
  EXPECT_EQ(node.port(), 0);
  EXPECT_EQ(node.stop(), 1);
  EXPECT_NE(node.output().find("identity.key is damaged"), std::string::npos) << node.output();
}

TEST(NodeDurability, ACorruptedLogStopsTheNodeWithAPreciseError) {
  interstice::testing::TempDir keep;
  {
    NodeProcess node({"hello"});
    ASSERT_NE(node.port(), 0);
    for (const char* name : {"A", "B", "C"})
      ASSERT_EQ(run_cli("call " + node.address() + " hello hello '[\"" + std::string(name) + "\"]'")
                    .exit_code,
                0);
    node.stop();
    std::filesystem::copy(node.data_dir(), keep.path(), std::filesystem::copy_options::recursive);
  }
  std::filesystem::path segment = keep.path() / "log" / "00000000000000000001.log";
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);  // inside the first record's payload
  f.put('\xee');
  f.close();
  NodeProcess broken(
      [&](const std::filesystem::path& dir) {
        std::filesystem::remove_all(dir);
        std::filesystem::copy(keep.path(), dir, std::filesystem::copy_options::recursive);
      },
      {});
  EXPECT_EQ(broken.port(), 0);
  EXPECT_EQ(broken.stop(), 1);
  EXPECT_NE(
      broken.output().find("is corrupted at segment 00000000000000000001.log, byte 16: checksum "
                           "mismatch in the record at offset 1"),
      std::string::npos)
      << broken.output();
}

}  // namespace
