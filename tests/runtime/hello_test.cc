// The hello example, in process: init runs once, `hello` inserts a greeting,
// the insert subscription logs it, and bad calls get clear errors.
#include <gtest/gtest.h>

#include "hello/hello_types.h"
#include "support/runtime_fixture.h"

namespace interstice::runtime {
namespace {

using testing::args;

class HelloTest : public testing::RuntimeTest {};

TEST_F(HelloTest, InitRunsOnceAtLoad) {
  auto runtime = make_runtime();
  load(*runtime, "hello");
  EXPECT_EQ(messages("hello", "init"), std::vector<std::string>{"Hello world !"});
  EXPECT_EQ(runtime->module_names(), std::vector<std::string>{"hello"});
}

TEST_F(HelloTest, HelloInsertsAGreetingAndTheSubscriptionLogsIt) {
  auto runtime = make_runtime();
  load(*runtime, "hello");
  auto r = runtime->call("hello", "hello", args(std::string("Alice")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto greetings = rows<Greetings>(*runtime, "hello", "greetings");
  ASSERT_EQ(greetings.size(), 1u);
  EXPECT_EQ(greetings[0].id, 1u);  // auto_inc
  EXPECT_EQ(greetings[0].greeting, "Hello, Alice!");
  EXPECT_EQ(messages("hello", "on_greeting_insert"),
            std::vector<std::string>{
                "Inserted greeting: {id: 1, greeting: \"Hello, Alice!\", custom: {val: 0}}"});
  ASSERT_TRUE(runtime->call("hello", "hello", args(std::string("Bob"))).ok());
  greetings = rows<Greetings>(*runtime, "hello", "greetings");
  ASSERT_EQ(greetings.size(), 2u);
  EXPECT_EQ(greetings[1].id, 2u);
  EXPECT_EQ(messages("hello", "on_greeting_insert").size(), 2u);
}

TEST_F(HelloTest, BadCallsGetClearErrors) {
  auto runtime = make_runtime();
  load(*runtime, "hello");
  auto no_module = runtime->call("nope", "hello", args(std::string("x")));
  EXPECT_EQ(no_module.error().message, "no module 'nope' is loaded");
  auto no_reducer = runtime->call("hello", "nope", args());
  EXPECT_EQ(no_reducer.error().message, "module 'hello' has no reducer 'nope'");
  auto bad_args = runtime->call("hello", "hello", args(uint8_t(1)));
  EXPECT_EQ(bad_args.error().message,
            "bad arguments for hello.hello(string): truncated or malformed (string)");
  auto extra = runtime->call("hello", "hello", args(std::string("x"), uint8_t(1)));
  EXPECT_EQ(extra.error().message,
            "bad arguments for hello.hello(string): 1 trailing bytes after (string)");
  EXPECT_TRUE(rows<Greetings>(*runtime, "hello", "greetings").empty());
}

TEST_F(HelloTest, LoadingTwiceIsRefused) {
  auto runtime = make_runtime();
  load(*runtime, "hello");
  auto again = runtime->load(testing::read_module("hello"), "hello.wasm");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "module 'hello' is already loaded");
}

TEST_F(HelloTest, TwoFreshRuntimesEndWithIdenticalTables) {
  std::vector<std::vector<uint8_t>> contents;
  for (int round = 0; round < 2; ++round) {
    now_us_ = 1'700'000'000'000'000;
    auto runtime = make_runtime();
    load(*runtime, "hello");
    for (const char* name : {"Alice", "Bob", "Carol"})
      ASSERT_TRUE(runtime->call("hello", "hello", args(std::string(name))).ok());
    std::vector<uint8_t> all;
    runtime->table("hello", "greetings")->for_each([&](const Bytes& row) {
      all.insert(all.end(), row.begin(), row.end());
    });
    contents.push_back(all);
  }
  EXPECT_EQ(contents[0], contents[1]);
  EXPECT_FALSE(contents[0].empty());
}

}  // namespace
}  // namespace interstice::runtime
