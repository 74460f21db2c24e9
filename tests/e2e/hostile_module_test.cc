// A module that fails, traps, recurses without end or grows without bound,
// driven through a real node's HTTP interface: the node and the module go on
// as before.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;

httplib::Result post_call(httplib::Client& client, const std::string& reducer,
                          const std::string& json_args) {
  return client.Post("/call/testkit/" + reducer, json_args, "application/json");
}

// A good call after the failures commits its row, and the table shows it.
void expect_module_usable(httplib::Client& client, const std::string& name) {
  auto added = post_call(client, "add", "[\"" + name + "\", 1]");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 200) << added->body;
  auto rows = client.Get("/tables/testkit/items");
  ASSERT_TRUE(rows);
  EXPECT_NE(rows->body.find("\"" + name + "\""), std::string::npos) << rows->body;
}

TEST(HostileModule, ThousandsOfRefusalsLeaveTheModuleUsable) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  // Before the fix about 400 refusals left every later call failing.
  for (int i = 0; i < 2000; ++i) {
    auto refused = post_call(client, "add_then_fail", "[\"x\"]");
    ASSERT_TRUE(refused) << "call " << i << ": " << httplib::to_string(refused.error())
                         << node.output();
    ASSERT_NE(refused->body.find("changed my mind about x"), std::string::npos)
        << "call " << i << ": " << refused->body;
  }
  expect_module_usable(client, "after-refusals");
  EXPECT_EQ(node.stop(), 0);
}

TEST(HostileModule, StackOverflowsLeaveTheModuleUsable) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  for (int i = 0; i < 10; ++i) {
    auto deep = post_call(client, "recurse", "[1000000]");
    ASSERT_TRUE(deep);
    EXPECT_NE(deep->body.find("trapped"), std::string::npos) << deep->body;
  }
  auto shallow = post_call(client, "recurse", "[10]");
  ASSERT_TRUE(shallow);
  EXPECT_EQ(shallow->status, 200) << shallow->body;
  expect_module_usable(client, "after-overflows");
  EXPECT_EQ(node.stop(), 0);
}

TEST(HostileModule, LeakingRefusalsDoNotExhaustTheModulesMemory) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  for (int i = 0; i < 100; ++i) {  // 400 MiB in all, beyond the memory limit
    auto refused = post_call(client, "leak_then_fail", "[4194304]");
    ASSERT_TRUE(refused);
    ASSERT_NE(refused->body.find("refused after allocating"), std::string::npos)
        << "call " << i << ": " << refused->body;
  }
  expect_module_usable(client, "after-leaks");
  EXPECT_EQ(node.stop(), 0);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(HostileModule, TablesCannotGrowPastTheModulesTableMemory) {
  NodeProcess node({"testkit"}, {"--table-memory", "1"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto fits = post_call(client, "grow", "[50, 4096]");  // ~8.5 KiB a row with its index key
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200) << fits->body;
  for (int i = 0; i < 10; ++i) {  // 10 x ~8.5 MiB, each refused and rolled back
    auto refused = post_call(client, "grow", "[1000, 4096]");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 422) << refused->body;
    EXPECT_NE(refused->body.find("refused: status 22"), std::string::npos) << refused->body;
  }
  expect_module_usable(client, "after-growth");
  auto more = post_call(client, "grow", "[50, 4096]");  // what was refused left nothing behind
  ASSERT_TRUE(more);
  EXPECT_EQ(more->status, 200) << more->body;
  EXPECT_EQ(node.stop(), 0);
}

TEST(HostileModule, QueuedCallsAreBoundedPerTransactionAndPerCascade) {
  NodeProcess node({"testkit"}, {"--calls-per-transaction", "50", "--cascade-calls", "500"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  for (int i = 0; i < 3; ++i) {
    auto fan = post_call(client, "fan_out", "[100, \"p\"]");
    ASSERT_TRUE(fan);
    EXPECT_EQ(fan->status, 200) << fan->body;
    node.output();
  }
  std::string log = node.output();
  EXPECT_NE(log.find("call refused: this transaction already queued 50 calls (the limit)"),
            std::string::npos);
  EXPECT_NE(log.find("fan_out stopped at 50: status 22"), std::string::npos);
  EXPECT_EQ(count(log, "more than 500 triggered calls for one call; dropping"), 3u);
  expect_module_usable(client, "after-fan-out");
  EXPECT_EQ(node.stop(), 0);
}

TEST(HostileModule, ACascadeCannotQueueMoreBytesThanItsBound) {
  NodeProcess node({"testkit"}, {"--cascade-bytes", "1"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  std::string payload(64 * 1024, 'b');
  auto fan = post_call(client, "fan_out", "[40, \"" + payload + "\"]");  // 40 x 64 KiB queued
  ASSERT_TRUE(fan);
  EXPECT_EQ(fan->status, 200) << fan->body;
  EXPECT_TRUE(node.wait_for_output("bytes, over the limit of 1048576; dropping")) << node.output();
  expect_module_usable(client, "after-big-fan-out");
  EXPECT_EQ(node.stop(), 0);
}

// Each spin burns its whole budget (10M fuel): the cascade's 35M pays for
// three and a half, so the fourth traps out of fuel and the rest are dropped.
// Again and again: each request gets a fresh cascade budget.
TEST(HostileModule, ACascadeCannotBurnMoreFuelThanItsBound) {
  NodeProcess node({"testkit"}, {"--fuel", "10000000", "--cascade-fuel", "35000000"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  for (int i = 0; i < 3; ++i) {
    auto spin = post_call(client, "spin_many", "[1000]");
    ASSERT_TRUE(spin);
    EXPECT_EQ(spin->status, 200) << spin->body;
  }
  // The fourth spin's allocation call is paid from the same remainder: the
  // total may pass the bound by that much.
  EXPECT_TRUE(node.wait_for_output("the calls triggered by one call used 350")) << node.output();
  std::string log = node.output();
  EXPECT_EQ(count(log, "fuel, the limit is 35000000; dropping 996 calls"), 3u) << log;
  EXPECT_EQ(count(log, "reducer testkit.spin trapped: out of fuel"), 12u) << log;
  expect_module_usable(client, "after-spinning");
  EXPECT_EQ(node.stop(), 0);
}

TEST(HostileModule, LogLinesAreCutAndRateLimited) {
  NodeProcess node({"testkit"}, {"--log-line-bytes", "100", "--log-lines-per-second", "50"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto shout = post_call(client, "shout", "[500, 1000]");
  ASSERT_TRUE(shout);
  EXPECT_EQ(shout->status, 200) << shout->body;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  shout = post_call(client, "shout", "[1, 10]");  // a new window: the count of the last one
  ASSERT_TRUE(shout);
  EXPECT_TRUE(node.wait_for_output("log lines suppressed (over 50 a second)")) << node.output();
  std::string log = node.output();
  EXPECT_LE(count(log, "shout "), 51u);
  EXPECT_GE(count(log, "shout "), 2u);
  EXPECT_NE(log.find("… (906 more bytes)"), std::string::npos);
  EXPECT_EQ(log.find(std::string(200, 's')), std::string::npos);
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace
