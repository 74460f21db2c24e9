// A module that fails, traps, recurses without end or grows without bound,
// driven through a real node's HTTP interface: the node and the module go on
// as before.
#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

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
    if (i % 100 == 0) node.output();  // the node logs each refusal: keep its pipe drained
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

}  // namespace
