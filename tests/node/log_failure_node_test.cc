// A node whose log writes fail (through the fault-injecting Env, so no root
// is needed): every failed call is undone in memory, including what calls
// made after it in the same unwritten batch did, auto_inc ids come back, and
// the node goes on once the fault is gone. The same on a real full disk:
// tests/e2e/recovery_test.cc.
#include <gtest/gtest.h>

#include <chrono>
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

std::string names(Node& node) {
  json rows;
  auto queried8 = query_json(node, "testkit", "items");
  EXPECT_TRUE(queried8.ok()) << queried8.error().message;
  if (queried8) rows = *queried8;
  std::string out;
  for (const json& row : rows)
    out += std::to_string(row["id"].get<int64_t>()) + ":" + row["name"].get<std::string>() + " ";
  return out;
}

class LogFailureNode : public ::testing::TestWithParam<storage::Durability> {};

TEST_P(LogFailureNode, FailedWritesAreUndoneAndTheNodeGoesOn) {
  TempDir dir;
  storage::testing::FaultInjectionEnv env;
  NodeOptions options = testing::testkit_node_options(dir.path(), env, GetParam());
  // Group: a long wait before each flush puts all the pipelined calls below
  // in the batch that fails, each having run on the effects of the previous.
  options.log.group_delay = std::chrono::milliseconds(50);
  {
    auto created = Node::create(options);
    ASSERT_TRUE(created.ok()) << created.error().message;
    Node& node = **created;
    ASSERT_TRUE(call_json(node, "testkit", "add", json::array({"a", 1})).ok());
    env.fail_writes(true);
    // Pipelined calls land in one batch: all of them are undone.
    std::atomic<int> answered{0}, failed{0};
    for (int i = 0; i < 20; ++i)
      node.submit("testkit", "add",
                  abi::to_bytes(std::make_tuple("p" + std::to_string(i), int32_t{i})),
                  [&](base::Result<void> durable) {
                    if (!durable) ++failed;
                    ++answered;
                  });
    for (int i = 0; i < 10; ++i)
      EXPECT_FALSE(
          call_json(node, "testkit", "add", json::array({"lost" + std::to_string(i), i})).ok())
          << i;
    for (int i = 0; i < 1000 && answered < 20; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(answered.load(), 20);
    EXPECT_EQ(failed.load(), 20);
    EXPECT_EQ(names(node), "1:a ");
    env.fail_writes(false);
    base::Result<void> added = base::make_error("not tried yet");
    for (int i = 0; i < 100 && !added; ++i) {
      added = call_json(node, "testkit", "add", json::array({"b", 2}));
      if (!added) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(added.ok()) << added.error().message;
    EXPECT_EQ(names(node), "1:a 2:b ");  // the undone inserts gave their ids back
  }
  auto again = Node::create(options);  // the log holds exactly that
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(names(**again), "1:a 2:b ");
}

INSTANTIATE_TEST_SUITE_P(Durability, LogFailureNode,
                         ::testing::Values(storage::Durability::Group, storage::Durability::Sync));

}  // namespace
}  // namespace interstice::node
