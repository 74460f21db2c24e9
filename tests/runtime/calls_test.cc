// Calls between modules on one node: queued by the caller, run after it
// commits, dropped if it fails; the callee sees who called.
#include <gtest/gtest.h>

#include "hello/hello_types.h"
#include "support/runtime_fixture.h"

namespace interstice::runtime {
namespace {

using testing::args;

class CallsTest : public testing::RuntimeTest {
 protected:
  void SetUp() override {
    runtime_ = make_runtime();
    load(*runtime_, "hello");
    load(*runtime_, "testkit");
  }
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(CallsTest, ACallRunsAfterTheCallerCommits) {
  auto r = runtime_->call("testkit", "call_hello", args(std::string("Zed")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(messages("testkit", "call_hello"), std::vector<std::string>{"call hello status 0"});
  auto greetings = rows<Greetings>(*runtime_, "hello", "greetings");
  ASSERT_EQ(greetings.size(), 1u);
  EXPECT_EQ(greetings[0].greeting, "Hello, Zed!");
  // The order: caller, then its call, then what that call's insert triggers.
  std::vector<std::string> order;
  for (const LogRecord& rec : logs_)
    if (!rec.reducer.empty() && rec.reducer != "init")
      order.push_back(rec.module + "::" + rec.reducer);
  EXPECT_EQ(order, (std::vector<std::string>{"testkit::call_hello", "hello::on_greeting_insert"}));
}

TEST_F(CallsTest, AFailedCallerMakesNoCalls) {
  auto r = runtime_->call("testkit", "call_then_fail", args(std::string("Zed")));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(rows<Greetings>(*runtime_, "hello", "greetings").empty());
}

TEST_F(CallsTest, BadTargetsAreReportedToTheCaller) {
  ASSERT_TRUE(runtime_->call("testkit", "call_badly", args()).ok());
  EXPECT_EQ(messages("testkit", "call_badly"),
            std::vector<std::string>{"missing module 9, missing reducer 10, bad arguments 11"});
}

TEST_F(CallsTest, TheCalleeSeesItsCaller) {
  ASSERT_TRUE(runtime_->call("testkit", "whoami", args()).ok());
  ASSERT_TRUE(runtime_->call("testkit", "call_whoami", args()).ok());
  EXPECT_EQ(messages("testkit", "whoami"),
            (std::vector<std::string>{"caller ''", "caller 'testkit'"}));
}

}  // namespace
}  // namespace interstice::runtime
