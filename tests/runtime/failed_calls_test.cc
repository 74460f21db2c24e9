// A failed call leaves its module as usable as before: whatever a trap left
// in linear memory (a lowered shadow stack pointer, a half-updated allocator,
// leaked blocks), the next call runs on a sound instance.
#include <gtest/gtest.h>

#include "support/runtime_fixture.h"
#include "testkit/testkit_types.h"

namespace interstice::runtime {
namespace {

using testing::args;

class FailedCallsTest : public testing::RuntimeTest {
 protected:
  void SetUp() override {
    runtime_ = make_runtime();
    load(*runtime_, "testkit");
  }
  // A good call after the failures: it must commit its row.
  void expect_usable(const std::string& name) {
    auto r = runtime_->call("testkit", "add", args(name, int32_t{7}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    bool found = false;
    for (const Item& item : rows<Item>(*runtime_, "testkit", "items"))
      found = found || item.name == name;
    EXPECT_TRUE(found) << name;
  }
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(FailedCallsTest, AHundredThousandRefusalsThenAGoodCall) {
  for (int i = 0; i < 100'000; ++i) {
    auto r = runtime_->call("testkit", "add_then_fail", args(std::string("x")));
    ASSERT_FALSE(r.ok());
    ASSERT_NE(r.error().message.find("changed my mind about x"), std::string::npos)
        << "call " << i << ": " << r.error().message;
  }
  expect_usable("after refusals");
}

TEST_F(FailedCallsTest, LeaksOfFailedCallsDoNotAccumulate) {
  // 4 MiB leaked per call: 100 calls would exceed the default memory limit.
  for (int i = 0; i < 100; ++i) {
    auto r = runtime_->call("testkit", "leak_then_fail", args(uint32_t{4u << 20}));
    ASSERT_FALSE(r.ok());
    ASSERT_NE(r.error().message.find("refused after allocating"), std::string::npos)
        << "call " << i << ": " << r.error().message;
  }
  expect_usable("after leaks");
}

TEST_F(FailedCallsTest, StackOverflowsThenAGoodCall) {
  for (int i = 0; i < 20; ++i) {
    auto r = runtime_->call("testkit", "recurse", args(uint32_t{1'000'000}));
    ASSERT_FALSE(r.ok());
    ASSERT_NE(r.error().message.find("trapped"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(logged(*runtime_, "testkit", "recurse", uint32_t{10}), "recursed 55");
  expect_usable("after overflows");
}

TEST_F(FailedCallsTest, RunningOutOfFuelThenAGoodCall) {
  RuntimeOptions options;
  options.engine.fuel_per_call = 20'000'000;
  runtime_ = make_runtime(options);
  load(*runtime_, "testkit");
  for (int i = 0; i < 5; ++i) {
    auto r = runtime_->call("testkit", "spin", args());
    ASSERT_FALSE(r.ok());
    ASSERT_NE(r.error().message.find("fuel"), std::string::npos) << r.error().message;
  }
  expect_usable("after spinning");
}

TEST_F(FailedCallsTest, TrapsAndMemoryFaultsThenAGoodCall) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(runtime_->call("testkit", "add_then_trap", args(std::string("t"))).ok());
    ASSERT_FALSE(runtime_->call("testkit", "wild_pointer", args()).ok());
  }
  expect_usable("after traps");
}

}  // namespace
}  // namespace interstice::runtime
