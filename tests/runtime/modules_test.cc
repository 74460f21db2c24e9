// Loading rules: dependencies by semver, authorities by policy and one holder
// at a time, and replacing a module with a new version.
#include <gtest/gtest.h>

#include "hello/hello_types.h"
#include "support/runtime_fixture.h"

namespace interstice::runtime {
namespace {

using testing::args;
using testing::read_module;

class ModulesTest : public testing::RuntimeTest {
 protected:
  Result<void> load_result(Runtime& rt, const std::string& name) {
    return rt.load(read_module(name), name + ".wasm");
  }
};

TEST_F(ModulesTest, DependenciesMustBeLoadedAtAMatchingVersion) {
  RuntimeOptions options;
  options.grantable = {abi::Authority::Input};
  auto rt = make_runtime(options);
  auto early = load_result(*rt, "wants_input");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().message,
            "module 'wants_input' needs module 'hello' (^0.1.0), which is not loaded");
  load(*rt, "hello");
  auto too_new = load_result(*rt, "needs_new_hello");
  ASSERT_FALSE(too_new.ok());
  EXPECT_EQ(too_new.error().message,
            "module 'needs_new_hello' needs module 'hello' ^2.0.0, but 0.1.0 is loaded");
  EXPECT_TRUE(load_result(*rt, "wants_input").ok());
}

TEST_F(ModulesTest, AuthoritiesFollowThePolicyAndHaveOneHolder) {
  auto strict = make_runtime();
  load(*strict, "hello");
  auto refused = load_result(*strict, "wants_input");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "module 'wants_input' requests the Input authority, which this node does not grant");

  RuntimeOptions options;
  options.grantable = {abi::Authority::Input};
  auto rt = make_runtime(options);
  load(*rt, "hello");
  load(*rt, "wants_input");
  EXPECT_EQ(rt->authority_holder(abi::Authority::Input), "wants_input");
  auto second = load_result(*rt, "wants_input_too");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(
      second.error().message,
      "module 'wants_input_too' requests the Input authority, which module 'wants_input' holds");
  ASSERT_TRUE(rt->unload("wants_input").ok());
  EXPECT_TRUE(load_result(*rt, "wants_input_too").ok());
}

TEST_F(ModulesTest, ReplacingKeepsRowsOfUnchangedTables) {
  auto rt = make_runtime();
  load(*rt, "hello");
  ASSERT_TRUE(rt->call("hello", "hello", args(std::string("Alice"))).ok());
  auto replaced = rt->replace(read_module("hello_v2"), "hello_v2.wasm");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(rt->schema("hello")->version.to_string(), "0.2.0");
  ASSERT_TRUE(rt->call("hello", "goodbye", args(std::string("Alice"))).ok());
  auto greetings = rows<Greetings>(*rt, "hello", "greetings");
  ASSERT_EQ(greetings.size(), 2u);
  EXPECT_EQ(greetings[0].greeting, "Hello, Alice!");
  EXPECT_EQ(greetings[1].greeting, "Goodbye, Alice!");
  EXPECT_EQ(greetings[1].id, 2u);                   // the auto_inc counter carried over
  EXPECT_EQ(messages("hello", "init").size(), 1u);  // init did not run again
}

TEST_F(ModulesTest, ReplacingRefusesAChangedTableThatHasRows) {
  auto rt = make_runtime();
  load(*rt, "hello");
  ASSERT_TRUE(rt->call("hello", "hello", args(std::string("Alice"))).ok());
  auto refused = rt->replace(read_module("hello_v3"), "hello_v3.wasm");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "cannot replace module 'hello' with 0.3.0: table greetings has 1 rows and its "
            "definition changed (new column language has no default); give new columns a default "
            "(column_default), declare a migration (INTERSTICE_MIGRATE(greetings, fn, "
            "\"=0.1.0\")), or delete the module with its rows (`interstice module remove`)");
  EXPECT_EQ(rt->schema("hello")->version.to_string(), "0.1.0");
  EXPECT_EQ(rows<Greetings>(*rt, "hello", "greetings").size(), 1u);

  auto empty = make_runtime();
  load(*empty, "hello");
  EXPECT_TRUE(empty->replace(read_module("hello_v3"), "hello_v3.wasm").ok());  // no rows to break
  auto missing = make_runtime();
  EXPECT_EQ(missing->replace(read_module("hello_v2"), "hello_v2.wasm").error().message,
            "module 'hello' is not loaded, so it cannot be replaced");
}

}  // namespace
}  // namespace interstice::runtime

namespace interstice::runtime {
namespace {

// bindings_user is compiled against the header `interstice bindings`
// generated from hello.wasm (modules/CMakeLists.txt).
TEST_F(ModulesTest, GeneratedBindingsCallAndSubscribeWithTypedRows) {
  auto rt = make_runtime();
  load(*rt, "hello");
  load(*rt, "bindings_user");
  EXPECT_EQ(messages("bindings_user"),
            (std::vector<std::string>{"loaded bindings_user 0.1.0 (0 tables, 2 reducers)",
                                      "called hello", "greeting #1: Hello, bindings!"}));
}

// The subscription index follows every change of the loaded modules: a
// subscriber's events stop with it, and a table's subscribers are found
// again when its module comes back.
TEST_F(ModulesTest, SubscriptionsFollowModulesLoadedAndUnloaded) {
  auto rt = make_runtime();
  load(*rt, "hello");
  load(*rt, "bindings_user");
  auto greetings_seen = [&] {
    std::vector<std::string> seen;
    for (const std::string& m : messages("bindings_user"))
      if (m.starts_with("greeting #")) seen.push_back(m);
    return seen;
  };
  auto greet = [&](const std::string& name) {
    ASSERT_TRUE(rt->call("hello", "hello", abi::to_bytes(std::make_tuple(name))));
  };
  greet("one");
  ASSERT_TRUE(rt->unload("hello"));
  load(*rt, "hello");  // its table starts empty again
  greet("two");
  ASSERT_TRUE(rt->unload("bindings_user"));
  greet("three");              // no subscriber any more
  load(*rt, "bindings_user");  // its init calls hello: #3
  greet("four");
  EXPECT_EQ(greetings_seen(),
            (std::vector<std::string>{"greeting #1: Hello, bindings!", "greeting #2: Hello, one!",
                                      "greeting #1: Hello, two!", "greeting #3: Hello, bindings!",
                                      "greeting #4: Hello, four!"}));
}

}  // namespace
}  // namespace interstice::runtime
