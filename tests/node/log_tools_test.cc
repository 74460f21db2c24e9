// The log tools over real data directories written by in-process nodes:
// replay --verify passes on a long randomized workload across modules and
// reports a doctored log precisely; inspect filters and decodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <regex>

#include "abi/serialize.h"
#include "node/json_api.h"
#include "node/log_tools.h"
#include "node/node.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"
#include "support/temp_dir.h"

namespace interstice::node {
namespace {

using json = nlohmann::ordered_json;
using interstice::testing::TempDir;

void copy_modules(const std::filesystem::path& data_dir, const std::vector<std::string>& modules) {
  std::filesystem::create_directories(data_dir / "modules");
  for (const std::string& m : modules)
    std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/" + m + ".wasm",
                               data_dir / "modules" / (m + ".wasm"));
}

std::unique_ptr<Node> start_node(const std::filesystem::path& data_dir, NodeOptions options = {}) {
  options.data_dir = data_dir;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  options.log.durability = storage::Durability::None;
  auto node = Node::create(options);
  EXPECT_TRUE(node.ok()) << node.error().message;
  return std::move(node).value();
}

// A randomized workload over hello and testkit: inserts, updates, deletes,
// failures, calls between modules, subscriptions.
void run_workload(Node& node, uint32_t seed, int calls) {
  std::mt19937 random(seed);
  for (int i = 0; i < calls; ++i) {
    std::string name = "n" + std::to_string(random() % 200);
    switch (random() % 7) {
      case 0:
        (void)call_json(node, "hello", "hello", json::array({name}));
        break;
      case 1:
        (void)call_json(node, "testkit", "add", json::array({name, int(random() % 100) - 50}));
        break;
      case 2:
        (void)call_json(node, "testkit", "set_score",
                        json::array({random() % 50 + 1, int(random() % 9)}));
        break;
      case 3:
        (void)call_json(node, "testkit", "remove_item", json::array({random() % 50 + 1}));
        break;
      case 4:
        (void)call_json(node, "testkit", "call_hello", json::array({name}));
        break;
      case 5:
        (void)call_json(node, "testkit", "observe", json::array());
        break;
      default:
        (void)call_json(node, "testkit", "add_then_fail", json::array({name}));
        break;
    }
  }
}

TEST(Replay, VerifyPassesOnALongRandomizedWorkload) {
  TempDir dir;
  copy_modules(dir.path(), {"hello", "testkit"});
  json tables_before;
  {
    auto node = start_node(dir.path());
    run_workload(*node, 7, 2000);
    auto queried1 = query_json(*node, "testkit", "items");
    ASSERT_TRUE(queried1.ok()) << queried1.error().message;
    tables_before = *queried1;
  }
  ReplayOptions options;
  options.verify = true;
  options.export_to = dir.path() / "export.json";
  auto report = replay_log(base::Env::posix(), dir.path(), options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->divergence.has_value()) << *report->divergence;
  EXPECT_GT(report->transactions, 2000u);
  json exported = json::parse(std::ifstream(dir.path() / "export.json"));
  EXPECT_EQ(exported["testkit"]["items"], tables_before);
}

TEST(Replay, UntilStopsAtAnOffset) {
  TempDir dir;
  copy_modules(dir.path(), {"hello"});
  {
    auto node = start_node(dir.path());
    for (const char* n : {"A", "B", "C"})
      ASSERT_TRUE(call_json(*node, "hello", "hello", json::array({n})).ok());
  }
  ReplayOptions options;
  options.until = 5;  // the node's start, init, hello A, its subscriber, hello B
  options.export_to = dir.path() / "at4.json";
  auto report = replay_log(base::Env::posix(), dir.path(), options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->transactions, 4u);
  json exported = json::parse(std::ifstream(dir.path() / "at4.json"));
  EXPECT_EQ(exported["hello"]["greetings"].size(), 2u);
}

TEST(Replay, ADoctoredLogIsReportedAtTheFirstDifference) {
  TempDir dir;
  copy_modules(dir.path(), {"hello"});
  {
    auto node = start_node(dir.path());
    for (const char* n : {"A", "B", "C"})
      ASSERT_TRUE(call_json(*node, "hello", "hello", json::array({n})).ok());
  }
  // Rewrite the log with record 5 (hello("B"), after the node's start, init,
  // hello("A") and its subscriber) claiming another greeting.
  std::vector<std::vector<uint8_t>> records;
  ASSERT_TRUE(storage::TransactionLog::read(base::Env::posix(), dir.path() / "log", 1,
                                            [&](uint64_t, std::span<const uint8_t> p) {
                                              records.emplace_back(p.begin(), p.end());
                                              return true;
                                            })
                  .ok());
  auto doctored = *abi::from_bytes<storage::TxRecord>(records[4]);
  ASSERT_EQ(doctored.reducer, "hello");
  // The row: id (8 bytes), greeting (4-byte length + "Hello, B!"), custom.val (4).
  auto& bytes = doctored.effects.at(0).row.data;
  bytes[bytes.size() - 8] = 'X';  // "Hello, B!" -> "HelloX B!"
  records[4] = abi::to_bytes(doctored);
  std::filesystem::remove_all(dir.path() / "log");
  {
    std::vector<std::string> warnings;
    auto log = std::move(storage::TransactionLog::open(base::Env::posix(), dir.path() / "log",
                                                       {.durability = storage::Durability::Sync},
                                                       &warnings))
                   .value();
    for (const auto& r : records) ASSERT_TRUE(log->append(r).ok());
  }
  ReplayOptions options;
  options.verify = true;
  auto report = replay_log(base::Env::posix(), dir.path(), options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_TRUE(report->divergence.has_value());
  EXPECT_EQ(*report->divergence,
            "transaction 5 (hello.hello), table greetings: expected insert "
            "{\"id\":2,\"greeting\":\"HelloX B!\",\"custom\":{\"val\":0}}, got insert greetings "
            "{\"id\":2,\"greeting\":\"Hello, B!\",\"custom\":{\"val\":0}}");
}

TEST(Inspect, FiltersAndDecodes) {
  TempDir dir;
  copy_modules(dir.path(), {"hello", "testkit"});
  {
    auto node = start_node(dir.path());
    ASSERT_TRUE(call_json(*node, "hello", "hello", json::array({"Ann"})).ok());
    ASSERT_TRUE(call_json(*node, "testkit", "add", json::array({"x", 3})).ok());
  }
  std::vector<std::string> lines;
  InspectOptions options;
  options.table = "items";
  options.json = true;
  ASSERT_TRUE(inspect_log(base::Env::posix(), dir.path(), options, [&](const std::string& l) {
                lines.push_back(l);
              }).ok());
  ASSERT_EQ(lines.size(), 1u);
  json j = json::parse(lines[0]);
  EXPECT_EQ(j["module"], "testkit");
  EXPECT_EQ(j["args"], json::array({"x", 3}));
  EXPECT_EQ(j["effects"][0]["row"], (json{{"id", 1}, {"name", "x"}, {"score", 3}}));
  lines.clear();
  options = {};
  options.module = "hello";
  ASSERT_TRUE(inspect_log(base::Env::posix(), dir.path(), options, [&](const std::string& l) {
                lines.push_back(l);
              }).ok());
  ASSERT_EQ(lines.size(), 3u);  // init, hello, on_greeting_insert
  EXPECT_TRUE(std::regex_search(
      lines[1],
      std::regex(R"(^#3 hello\.hello\("Ann"\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << lines[1];
  EXPECT_NE(lines[1].find("insert greetings {\"id\":1,\"greeting\":\"Hello, Ann!\""),
            std::string::npos);
  // The first record is the node's start, with the modules it loaded.
  lines.clear();
  options = {};
  options.to = 1;
  ASSERT_TRUE(inspect_log(base::Env::posix(), dir.path(), options, [&](const std::string& l) {
                lines.push_back(l);
              }).ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("#1 node_start: hello [0-9a-f]{8}, testkit "
                                                    "[0-9a-f]{8} \\(snapshot 0\\)")))
      << lines[0];
}

TEST(InstalledModules, SurviveTheirFilesAndKeepTheirGrants) {
  TempDir dir;
  copy_modules(dir.path(), {"hello", "wants_input"});
  {
    NodeOptions options;
    options.runtime.grantable = {abi::Authority::Input};
    auto node = start_node(dir.path(), options);
    ASSERT_TRUE(call_json(*node, "hello", "hello", json::array({"Ann"})).ok());
  }
  std::filesystem::remove(dir.path() / "modules" / "hello.wasm");
  std::filesystem::remove(dir.path() / "modules" / "wants_input.wasm");
  auto node = start_node(dir.path());  // no --grant this time: the grant was persisted
  json rows;
  auto queried2 = query_json(*node, "hello", "greetings");
  ASSERT_TRUE(queried2.ok()) << queried2.error().message;
  rows = *queried2;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["greeting"], "Hello, Ann!");
  EXPECT_TRUE(call_json(*node, "wants_input", "ping", json::array()).ok());
  auto report = replay_log(base::Env::posix(), dir.path(), ReplayOptions{.verify = true});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->divergence.has_value()) << *report->divergence;
}

// What a File read returned is recorded with its transaction: replay
// --verify re-executes the reducer with the recorded bytes (and needs no
// File back-end), even after the file changed on disk.
TEST(Replay, VerifyReplaysRecordedFileReadsAfterTheFileChanged) {
  TempDir dir;
  copy_modules(dir.path(), {"file_user"});
  {
    NodeOptions options;
    options.runtime.grantable = {abi::Authority::File};
    auto node = start_node(dir.path(), options);
    ASSERT_TRUE(call_json(*node, "file_user", "save", json::array({"note", "first"})).ok());
    ASSERT_TRUE(call_json(*node, "file_user", "remember", json::array({"note"})).ok());
    json rows;
    auto queried3 = query_json(*node, "file_user", "memory");
    ASSERT_TRUE(queried3.ok()) << queried3.error().message;
    rows = *queried3;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["text"], "first");
  }
  std::ofstream(dir.path() / "files" / "file_user" / "note", std::ios::trunc) << "changed";
  auto report = replay_log(base::Env::posix(), dir.path(), ReplayOptions{.verify = true});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->transactions, 2u);
  EXPECT_FALSE(report->divergence.has_value()) << *report->divergence;
}

TEST(InstalledModules, ADamagedStoredModuleIsReported) {
  TempDir dir;
  copy_modules(dir.path(), {"hello"});
  {
    auto node = start_node(dir.path());
  }
  std::filesystem::remove(dir.path() / "modules" / "hello.wasm");
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "store"))
    std::filesystem::resize_file(e.path(), 100);
  NodeOptions options;
  options.data_dir = dir.path();
  auto node = Node::create(options);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("installed module 'hello': stored module"), std::string::npos)
      << node.error().message;
  EXPECT_NE(node.error().message.find("is damaged"), std::string::npos);
}

TEST(Snapshots, RecoveryStartsFromTheNewestAndPrunedLogsStillReplay) {
  TempDir dir;
  copy_modules(dir.path(), {"hello", "testkit"});
  NodeOptions options;
  options.snapshot_every = 50;
  options.retention = storage::Retention::Prune;
  options.log.segment_bytes = 2000;
  json items;
  {
    auto node = start_node(dir.path(), options);
    run_workload(*node, 11, 400);
    auto queried4 = query_json(*node, "testkit", "items");
    ASSERT_TRUE(queried4.ok()) << queried4.error().message;
    items = *queried4;
  }
  // Old segments are gone, a snapshot remains.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "log" / "00000000000000000001.log"));
  EXPECT_FALSE(std::filesystem::is_empty(dir.path() / "snapshots"));
  {
    auto node = start_node(dir.path(), options);
    json after;
    auto queried5 = query_json(*node, "testkit", "items");
    ASSERT_TRUE(queried5.ok()) << queried5.error().message;
    after = *queried5;
    EXPECT_EQ(after, items);
    run_workload(*node, 12, 100);  // and it keeps going
  }
  ReplayOptions verify;
  verify.verify = true;
  auto report = replay_log(base::Env::posix(), dir.path(), verify);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->divergence.has_value()) << *report->divergence;
}

TEST(Snapshots, ADamagedNewestSnapshotFallsBackToAnOlderOne) {
  TempDir dir;
  copy_modules(dir.path(), {"testkit"});
  NodeOptions options;
  options.snapshot_every = 10;
  json items;
  {
    auto node = start_node(dir.path(), options);
    for (int i = 0; i < 35; ++i)
      ASSERT_TRUE(
          call_json(*node, "testkit", "add", json::array({"i" + std::to_string(i), i})).ok());
    auto queried6 = query_json(*node, "testkit", "items");
    ASSERT_TRUE(queried6.ok()) << queried6.error().message;
    items = *queried6;
  }
  std::vector<std::filesystem::path> snapshots;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "snapshots"))
    snapshots.push_back(e.path());
  std::sort(snapshots.begin(), snapshots.end());
  ASSERT_GE(snapshots.size(), 3u);
  std::filesystem::resize_file(snapshots.back(), std::filesystem::file_size(snapshots.back()) / 2);
  std::vector<std::string> warnings;
  auto newest_intact =
      storage::read_newest_snapshot(base::Env::posix(), dir.path() / "snapshots", &warnings);
  ASSERT_TRUE(newest_intact.ok() && newest_intact->has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("is damaged"), std::string::npos);
  auto node = start_node(dir.path(), options);
  json after;
  auto queried7 = query_json(*node, "testkit", "items");
  ASSERT_TRUE(queried7.ok()) << queried7.error().message;
  after = *queried7;
  EXPECT_EQ(after, items);
}

}  // namespace
}  // namespace interstice::node
