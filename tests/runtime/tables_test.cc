// Tables and reducers through the testkit module: keys, auto_inc, indexes,
// scans, transactions that roll back, fuel, bad rows and bad pointers.
#include <gtest/gtest.h>

#include "support/runtime_fixture.h"
#include "testkit/testkit_types.h"

namespace interstice::runtime {
namespace {

using testing::args;

class TablesTest : public testing::RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.engine.fuel_per_call = 50'000'000;
    runtime_ = make_runtime(options);
    load(*runtime_, "testkit");
  }

  Result<void> call(const std::string& reducer, const std::vector<uint8_t>& arguments) {
    return runtime_->call("testkit", reducer, arguments);
  }
  void ok(const std::string& reducer, const std::vector<uint8_t>& arguments) {
    auto r = call(reducer, arguments);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void add(const std::string& name, int32_t score) { ok("add", args(name, score)); }
  std::vector<Item> items() { return rows<Item>(*runtime_, "testkit", "items"); }
  std::string last_log(const std::string& reducer) {
    auto all = messages("testkit", reducer);
    return all.empty() ? "" : all.back();
  }

  std::unique_ptr<Runtime> runtime_;
};

TEST_F(TablesTest, AutoIncAssignsIncreasingIdsAndSkipsExplicitOnes) {
  add("a", 0);
  add("b", 0);
  ok("add_with_id", args(uint64_t(10), std::string("x")));
  add("c", 0);
  auto all = items();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].id, 1u);
  EXPECT_EQ(all[1].id, 2u);
  EXPECT_EQ(all[2].id, 10u);
  EXPECT_EQ(all[3].id, 11u);
  EXPECT_EQ(last_log("add"), "added 11:c:0");
}

// An explicit id past 2^63 - 1 leaves the counter nothing it can assign (an
// insert returns the assigned value as an i64): later auto ids are refused
// with QuotaExceeded (22), many times, and explicit ids still work.
TEST_F(TablesTest, AnAutoIncCounterPastTheLargestValueRefusesClearly) {
  ok("add", args(std::string("a"), int32_t(1)));
  ok("add_with_id", args((uint64_t(1) << 63) + 5, std::string("far")));
  for (int i = 0; i < 20; ++i) {
    auto r = call("add", args(std::string("b") + std::to_string(i), int32_t(1)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "reducer testkit.add failed: cannot add b" + std::to_string(i) + ": status 22");
  }
  ok("add_with_id", args(uint64_t(7), std::string("near")));
  EXPECT_EQ(items().size(), 3u);
}

TEST_F(TablesTest, DuplicatePrimaryKeyIsRefused) {
  ok("add_with_id", args(uint64_t(5), std::string("p")));
  auto r = call("add_with_id", args(uint64_t(5), std::string("q")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "reducer testkit.add_with_id failed: cannot add q: status 2");
  ASSERT_EQ(items().size(), 1u);
  EXPECT_EQ(items()[0].name, "p");
}

TEST_F(TablesTest, UniqueIndexIsEnforcedOnInsertAndUpdate) {
  add("a", 1);
  add("b", 2);
  EXPECT_FALSE(call("add", args(std::string("a"), int32_t(3))).ok());
  auto rename = call("rename", args(uint64_t(2), std::string("a")));
  ASSERT_FALSE(rename.ok());
  EXPECT_EQ(rename.error().message, "reducer testkit.rename failed: rename refused: status 2");
  ok("rename", args(uint64_t(2), std::string("c")));
  EXPECT_EQ(items()[1].name, "c");
}

TEST_F(TablesTest, IndexLookupsAndRangeScans) {
  add("a", 5);
  add("b", -1);
  add("c", 9);
  add("d", 5);
  ok("find_name", args(std::string("c")));
  EXPECT_EQ(last_log("find_name"), "find c: 3:c:9 ");
  ok("find_name", args(std::string("zz")));
  EXPECT_EQ(last_log("find_name"), "find zz: ");
  ok("scores_between", args(int32_t(-5), int32_t(5)));
  EXPECT_EQ(last_log("scores_between"), "scores -5..5: 2:b:-1 1:a:5 4:d:5 ");
  ok("scores_between", args(int32_t(6), int32_t(100)));
  EXPECT_EQ(last_log("scores_between"), "scores 6..100: 3:c:9 ");
  ok("ids_between", args(uint64_t(2), uint64_t(3)));
  EXPECT_EQ(last_log("ids_between"), "ids 2..3: 2:b:-1 3:c:9 ");
}

TEST_F(TablesTest, ScanWhileInsertingEnds) {
  add("a", 1);
  add("b", 2);
  ok("double_all", args());
  EXPECT_EQ(last_log("double_all"), "count 4");
  EXPECT_EQ(items()[3].name, "b+");
}

TEST_F(TablesTest, TrappingReducerLeavesTablesUnchanged) {
  add("a", 1);
  auto r = call("add_then_trap", args(std::string("b")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("reducer testkit.add_then_trap trapped: unreachable"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(items().size(), 1u);
  add("c", 1);  // the instance still works, and the rolled-back id is reused
  EXPECT_EQ(items()[1].id, 2u);
}

TEST_F(TablesTest, FailingReducerRollsBackWithItsMessage) {
  auto r = call("add_then_fail", args(std::string("b")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "reducer testkit.add_then_fail failed: changed my mind about b");
  EXPECT_TRUE(items().empty());
  EXPECT_EQ(messages("testkit", "add_then_fail").back(), r.error().message);  // logged too
}

TEST_F(TablesTest, EndlessLoopIsStoppedByFuelAndTheModuleStaysUsable) {
  auto r = call("spin", args());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("reducer testkit.spin trapped: out of fuel"), std::string::npos)
      << r.error().message;
  add("after", 1);
  EXPECT_EQ(items().size(), 1u);
}

TEST_F(TablesTest, BadRowsAndBadPointersAreRefused) {
  ok("bad_row", args());
  EXPECT_EQ(last_log("bad_row"), "bad row status 3");  // InvalidRow
  EXPECT_TRUE(items().empty());
  auto wild = call("wild_pointer", args());
  ASSERT_FALSE(wild.ok());
  EXPECT_NE(wild.error().message.find("host error: pointer out of bounds"), std::string::npos)
      << wild.error().message;
}

TEST_F(TablesTest, UpdateAndDeleteSubscriptionsReceiveTheRows) {
  add("a", 0);
  ok("set_score", args(uint64_t(1), int32_t(7)));
  EXPECT_EQ(last_log("on_update"), "updated 1:a:0 -> 1:a:7");
  ok("remove_item", args(uint64_t(1)));
  EXPECT_EQ(last_log("remove_item"), "removed");
  EXPECT_EQ(last_log("on_delete"), "deleted 1:a:7");
  ok("remove_item", args(uint64_t(1)));
  EXPECT_EQ(last_log("remove_item"), "absent");
  EXPECT_EQ(messages("testkit", "on_delete").size(), 1u);
}

TEST_F(TablesTest, TimeRandomnessAndStdoutAreRecordedInputs) {
  ok("observe", args());
  auto lines = messages("testkit", "observe");
  ASSERT_EQ(lines.size(), 2u);
  // The clock of the fixture: 1000 us past its start for the first transaction after load.
  EXPECT_TRUE(lines[0].starts_with("timestamp " + std::to_string(now_us_))) << lines[0];
  EXPECT_EQ(lines[1], "wasi clock " + std::to_string(now_us_ / 1'000'000));
  // A second runtime with the same clock and seed observes the same values.
  std::string first = lines[0];
  logs_.clear();
  now_us_ -= 1000;
  SetUp();
  ok("observe", args());
  EXPECT_EQ(messages("testkit", "observe").at(0), first);
}

class LoadTest : public testing::RuntimeTest {};

TEST_F(LoadTest, UnknownSubscriptionIsRefusedAtLoad) {
  auto runtime = make_runtime();
  auto r = runtime->load(testing::read_module("bad_subscription"), "bad_subscription.wasm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "module 'bad_subscription' (bad_subscription.wasm) refused: subscription to "
            "'bad_subscription.nothing.insert': no such event or table");
  EXPECT_TRUE(runtime->module_names().empty());
}

TEST_F(LoadTest, ModulesWithoutTheInterfaceOrMalformedAreRefused) {
  auto runtime = make_runtime();
  auto demo = runtime->load(testing::read_module("demo"), "demo.wasm");
  ASSERT_FALSE(demo.ok());
  EXPECT_NE(demo.error().message.find("demo.wasm: not an Interstice module"), std::string::npos)
      << demo.error().message;
  std::vector<uint8_t> junk{1, 2, 3};
  auto malformed = runtime->load(junk, "junk.wasm");
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.error().message.find("junk.wasm: failed to parse WebAssembly module"),
            std::string::npos);
}

}  // namespace
}  // namespace interstice::runtime
