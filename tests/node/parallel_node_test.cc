// Modules on several executors: independent modules are placed on different
// executors and run at the same time; calls between them are messages; the
// log of a parallel run replays identically (replay --verify) and recovers
// to the same tables.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include "node/json_api.h"
#include "node/log_tools.h"
#include "node/node.h"
#include "support/temp_dir.h"

namespace interstice::node {
namespace {

using json = nlohmann::ordered_json;
using interstice::testing::TempDir;

const std::vector<std::string> kModules = {"busy1", "busy2", "busy3", "busy4"};

std::unique_ptr<Node> start_node(const std::filesystem::path& data_dir, uint32_t executors,
                                 size_t cascade_calls = 100'000) {
  std::filesystem::create_directories(data_dir / "modules");
  for (const std::string& m : kModules)
    if (!std::filesystem::exists(data_dir / "modules" / (m + ".wasm")))
      std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/" + m + ".wasm",
                                 data_dir / "modules" / (m + ".wasm"));
  NodeOptions options;
  options.data_dir = data_dir;
  options.executors = executors;
  options.runtime.max_triggered_calls = cascade_calls;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  options.log.durability = storage::Durability::Group;
  options.snapshot_every = 500;  // snapshots are captured while calls run
  auto node = Node::create(options);
  EXPECT_TRUE(node.ok()) << node.error().message;
  return node.ok() ? std::move(node).value() : nullptr;
}

std::map<std::string, uint32_t> executors_of(Node& node) {
  std::map<std::string, uint32_t> placed;
  for (const json& m : modules_to_json(node.describe_modules()))
    placed[m["name"].get<std::string>()] = m["executor"].get<uint32_t>();
  return placed;
}

// A module that runs on another executor than `module` (empty: none).
std::string on_another_executor(Node& node, const std::string& module) {
  std::map<std::string, uint32_t> placed = executors_of(node);
  for (const std::string& m : kModules)
    if (placed[m] != placed[module]) return m;
  return {};
}

std::map<std::string, json> tables_of(Node& node) {
  std::map<std::string, json> tables;
  for (const std::string& m : kModules) {
    auto rows = query_json(node, m, "entries");
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    if (rows.ok()) tables[m] = *rows;
  }
  return tables;
}

TEST(ParallelModules, IndependentModulesAreSpreadOverTheExecutors) {
  TempDir dir;
  auto node = start_node(dir.path(), 2);
  ASSERT_TRUE(node);
  std::map<std::string, uint32_t> placed = executors_of(*node);
  ASSERT_EQ(placed.size(), 4u);
  std::vector<int> per_executor(2, 0);
  for (const auto& [module, executor] : placed) {
    ASSERT_LT(executor, 2u) << module;
    ++per_executor[executor];
  }
  EXPECT_EQ(per_executor, (std::vector<int>{2, 2}));
}

// Four clients call four modules at once, and each module also calls the
// next one (a message to another executor half the time); then the log is
// replayed with --verify and the node restarted.
TEST(ParallelModules, AParallelRunReplaysIdenticallyAndRecovers) {
  TempDir dir;
  constexpr int kInserts = 300, kCrossCalls = 60;
  std::map<std::string, json> before;
  {
    auto node = start_node(dir.path(), 2);
    ASSERT_TRUE(node);
    std::vector<std::thread> clients;
    for (size_t i = 0; i < kModules.size(); ++i)
      clients.emplace_back([&, i] {
        const std::string& module = kModules[i];
        const std::string& next = kModules[(i + 1) % kModules.size()];
        for (int n = 0; n < kInserts; ++n) {
          auto inserted = call_json(*node, module, "insert", json::array({uint64_t(n)}));
          if (!inserted.ok()) ADD_FAILURE() << inserted.error().message;
          if (n >= kCrossCalls) continue;
          auto called =
              call_json(*node, module, "insert_and_call", json::array({next, uint64_t(1000 + n)}));
          if (!called.ok()) ADD_FAILURE() << called.error().message;
        }
      });
    for (std::thread& c : clients) c.join();
    node.reset();  // the forwarded calls still queued run before it stops
  }
  {
    auto node = start_node(dir.path(), 2);
    ASSERT_TRUE(node);
    before = tables_of(*node);
    for (const std::string& m : kModules)  // its own inserts, its own and its neighbour's calls
      EXPECT_EQ(before[m].size(), size_t(kInserts + 2 * kCrossCalls)) << m;
  }
  ReplayOptions options;
  options.verify = true;
  options.export_to = dir.path() / "export.json";
  auto report = replay_log(base::Env::posix(), dir.path(), options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->divergence.has_value()) << *report->divergence;
  EXPECT_EQ(report->transactions, kModules.size() * (kInserts + 2 * kCrossCalls));
  json exported = json::parse(std::ifstream(dir.path() / "export.json"));
  for (const std::string& m : kModules) EXPECT_EQ(exported[m]["entries"], before[m]) << m;
  // The same log on one executor: the same tables.
  auto single = start_node(dir.path(), 1);
  ASSERT_TRUE(single);
  EXPECT_EQ(tables_of(*single), before);
}

// A module that calls another on a different executor: the call arrives as
// a message and runs there, in the order the caller committed.
TEST(ParallelModules, CallsBetweenExecutorsArriveInCommitOrder) {
  TempDir dir;
  auto node = start_node(dir.path(), 2);
  ASSERT_TRUE(node);
  std::string from = "busy1", to = on_another_executor(*node, from);
  ASSERT_FALSE(to.empty());
  for (int n = 0; n < 50; ++n) {
    auto called = call_json(*node, from, "insert_and_call", json::array({to, uint64_t(n)}));
    ASSERT_TRUE(called.ok()) << called.error().message;
  }
  // The calls may still be on their way: a query runs on `to`'s executor
  // after what was posted there before it, and they were posted before the
  // last call above returned.
  auto rows = query_json(*node, to, "entries");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 50u);
  // auto_inc ids follow the order of arrival: values (n or n + 1, the insert
  // adds random() % 2) rise with the id.
  for (size_t i = 1; i < rows->size(); ++i)
    EXPECT_GT((*rows)[i]["value"].get<uint64_t>() + 1, (*rows)[i - 1]["value"].get<uint64_t>());
}

// A reducer that spins until it runs out of fuel holds up its own executor
// only: a call to a module of the other executor is answered meanwhile.
TEST(ParallelModules, ARunawayReducerDelaysOnlyItsExecutor) {
  TempDir dir;
  auto node = start_node(dir.path(), 2);
  ASSERT_TRUE(node);
  std::string runaway = "busy1", other = on_another_executor(*node, runaway);
  ASSERT_FALSE(other.empty());
  for (int round = 0; round < 2; ++round) {
    std::future<base::Result<void>> spinning = std::async(std::launch::async, [&] {
      return call_json(*node, runaway, "spin", json::array({uint32_t(4'000'000'000u)}));
    });
    // Wait until the spin holds its executor: a query of its module waits.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto inserted = call_json(*node, other, "insert", json::array({uint64_t(round)}));
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    EXPECT_EQ(spinning.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
        << "the spin ended before the other executor's call was answered";
    base::Result<void> spun = spinning.get();
    ASSERT_FALSE(spun.ok());  // out of fuel
    EXPECT_NE(spun.error().message.find("fuel"), std::string::npos) << spun.error().message;
  }
}

// Two modules on different executors calling each other forever: the parts
// of the cascade on both executors share one budget, so it ends after
// --cascade-calls calls in all (each side alone would never reach it).
TEST(ParallelModules, ACascadeAcrossExecutorsHasOneBudget) {
  TempDir dir;
  constexpr size_t kCascadeCalls = 100;
  auto node = start_node(dir.path(), 2, kCascadeCalls);
  ASSERT_TRUE(node);
  std::string from = "busy1", to = on_another_executor(*node, from);
  ASSERT_FALSE(to.empty());
  auto rows = [&] { return tables_of(*node)[from].size() + tables_of(*node)[to].size(); };
  for (int round = 0; round < 3; ++round) {  // and again: the node goes on
    size_t before = rows();
    auto called = call_json(*node, from, "bounce", json::array({to, uint64_t(0)}));
    ASSERT_TRUE(called.ok()) << called.error().message;
    for (int i = 0; i < 500 && rows() < before + kCascadeCalls + 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // nothing more arrives
    EXPECT_EQ(rows(), before + kCascadeCalls + 1);  // the requested call and its cascade
  }
}

}  // namespace
}  // namespace interstice::node
