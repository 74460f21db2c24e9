// A whole node crashed at random points of a write storm, in process: every
// file of its data directory goes through a fault-injecting Env, so a crash
// is "from now on nothing reaches the files; tear the node down; cut every
// file back to what was synced plus a random part of the rest" (as power
// loss can leave it).
// Every transaction acknowledged before the crash must survive recovery, and
// the node must go on accepting calls. Snapshots, segment roll-overs and
// group commit all happen during the storm.
//
// CI runs a few seeds per durability mode; INTERSTICE_CRASH_SEEDS=N runs N.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "node/json_api.h"
#include "node/node.h"
#include "node/testkit_node.h"
#include "storage/fault_injection_env.h"
#include "support/temp_dir.h"

namespace interstice::node {
namespace {

using json = nlohmann::ordered_json;
using interstice::testing::TempDir;

int seeds() {
  const char* text = std::getenv("INTERSTICE_CRASH_SEEDS");
  return text ? std::max(1, std::atoi(text)) : 3;
}

std::set<std::string> stored_names(Node& node) {
  json rows;
  auto queried9 = query_json(node, "testkit", "items");
  EXPECT_TRUE(queried9.ok()) << queried9.error().message;
  if (queried9) rows = *queried9;
  std::set<std::string> names;
  for (const json& row : rows) names.insert(row["name"].get<std::string>());
  return names;
}

class NodeCrash : public ::testing::TestWithParam<storage::Durability> {};

TEST_P(NodeCrash, AcknowledgedTransactionsSurviveACrashAtAnyPoint) {
  int runs = seeds();
  for (int seed = 1; seed <= runs; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(static_cast<uint32_t>(seed) * 7919u);
    TempDir dir;
    storage::testing::FaultInjectionEnv env;
    NodeOptions options = testing::testkit_node_options(dir.path(), env, GetParam());
    options.log.segment_bytes = 16 << 10;  // many segments
    options.snapshot_every = 50 + random() % 100;
    // Half the seeds on two executors: snapshots are then captured from the
    // snapshot thread in an exclusive section, while the writers' calls wait.
    options.executors = static_cast<uint32_t>(1 + seed % 2);

    std::mutex acknowledged_mutex;
    std::set<std::string> acknowledged;  // guarded by acknowledged_mutex
    bool crashed = false;                // guarded by acknowledged_mutex
    size_t previous_rows = 0;
    // Two lives: a storm and a crash, then a storm on the recovered node and
    // a second crash, so recovery also starts from a recovered directory.
    for (int life = 0; life < 2; ++life) {
      {
        auto created = Node::create(options);
        ASSERT_TRUE(created.ok()) << created.error().message;
        Node& node = **created;
        std::set<std::string> present = stored_names(node);
        for (const std::string& name : acknowledged)
          EXPECT_TRUE(present.count(name)) << "acknowledged, then lost: " << name;
        EXPECT_GE(present.size(), previous_rows);
        {
          std::lock_guard lock(acknowledged_mutex);
          crashed = false;
        }
        std::atomic<bool> stop = false;
        std::vector<std::thread> writers;
        for (int w = 0; w < 2; ++w)
          writers.emplace_back([&, w] {
            for (int i = 0; !stop; ++i) {
              std::string name = fmt::format("l{}w{}n{}", life, w, i);
              if (!call_json(node, "testkit", "add", json::array({name, i})).ok()) continue;
              std::lock_guard lock(acknowledged_mutex);
              if (!crashed) acknowledged.insert(name);
            }
          });
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + random() % 200));
        {
          // The crash: nothing the node does from here on reaches its files
          // (nor can it acknowledge anything: its syncs fail).
          std::lock_guard lock(acknowledged_mutex);
          crashed = true;
          env.kill();
        }
        stop = true;
        for (std::thread& t : writers) t.join();
        previous_rows = acknowledged.size();
      }  // the node is torn down: its files are closed
      env.crash(static_cast<uint32_t>(seed * 31 + life));
    }
    auto recovered = Node::create(options);
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    std::set<std::string> present = stored_names(**recovered);
    size_t lost = 0;
    for (const std::string& name : acknowledged) lost += present.count(name) == 0;
    EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged";
    EXPECT_GT(acknowledged.size(), 0u);
    EXPECT_TRUE(call_json(**recovered, "testkit", "add", json::array({"after", 1})).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Durability, NodeCrash,
                         ::testing::Values(storage::Durability::Group, storage::Durability::Sync),
                         [](const auto& info) {
                           return info.param == storage::Durability::Group ? "group" : "sync";
                         });

}  // namespace
}  // namespace interstice::node
