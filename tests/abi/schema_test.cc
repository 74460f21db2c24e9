// The module schema: encodes and decodes as itself, and check_schema finds
// each kind of mistake with a message naming it.
#include <gtest/gtest.h>

#include <algorithm>

#include "abi/schema_check.h"

namespace interstice::abi {
namespace {

struct Greeting {
  uint64_t id = 0;
  std::string greeting;
  double score = 0;
  INTERSTICE_TYPE(Greeting, id, greeting, score)
};

ModuleSchema hello_schema() {
  ModuleSchema s;
  s.name = "hello";
  s.version = {0, 1, 0};
  s.visibility = Visibility::Public;
  TypeRegistry registry;
  (void)type_of<Greeting>(registry);
  s.types = registry.defs;
  s.tables.push_back(TableDef{"greetings",
                              "Greeting",
                              0,
                              {0},
                              {IndexDef{"by_text", 1, false}},
                              Visibility::Public,
                              Persistence::Logged});
  s.reducers.push_back(ReducerDef{"init", {}});
  s.reducers.push_back(ReducerDef{"hello", {Field{"name", primitive(TypeKind::String)}}});
  s.reducers.push_back(ReducerDef{"on_insert", {Field{"row", named("Greeting")}}});
  s.subscriptions.push_back(SubscriptionDef{"init", "init"});
  s.subscriptions.push_back(SubscriptionDef{"hello.greetings.insert", "on_insert"});
  s.authorities.push_back(Authority::Input);
  s.dependencies.push_back(DependencyDef{"other", "^1.0.0", ""});
  s.nodes.push_back(NodeDef{"MyNode", "127.0.0.1:8080"});
  return s;
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

TEST(Schema, RoundTripsThroughTheCanonicalEncoding) {
  ModuleSchema s = hello_schema();
  std::vector<uint8_t> bytes = to_bytes(s);
  auto back = from_bytes<ModuleSchema>(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(to_bytes(*back), bytes);
  EXPECT_EQ(back->name, "hello");
  EXPECT_EQ(back->types, s.types);
  EXPECT_EQ(back->tables.at(0).indexes.at(0).name, "by_text");
  EXPECT_EQ(back->nodes.at(0).address, "127.0.0.1:8080");
}

TEST(Schema, AValidSchemaHasNoProblems) {
  EXPECT_TRUE(check_schema(hello_schema()).empty());
}

TEST(Schema, FindsEachKindOfMistake) {
  ModuleSchema s = hello_schema();
  s.abi_version = 99;
  s.tables[0].primary_key = 2;  // a double
  s.tables[0].auto_inc = {1};   // a string
  s.tables[0].indexes[0].column = 7;
  s.tables.push_back(
      TableDef{"orphans", "Nope", 0, {}, {}, Visibility::Private, Persistence::Logged});
  s.reducers[1].params[0].type = named("Missing");
  s.subscriptions.push_back(SubscriptionDef{"hello.nothing.insert", "on_insert"});
  s.subscriptions.push_back(SubscriptionDef{"init", "ghost"});
  s.subscriptions.push_back(SubscriptionDef{"hello.greetings.upsert", "on_insert"});
  auto problems = check_schema(s);
  EXPECT_TRUE(mentions(problems, "ABI version 99 is not supported"));
  EXPECT_TRUE(
      mentions(problems, "table greetings: primary key score has type f64, which cannot be a key"));
  EXPECT_TRUE(mentions(problems, "table greetings: auto_inc column 1 is not an integer column"));
  EXPECT_TRUE(mentions(problems, "table greetings: index by_text is not on a key-typed column"));
  EXPECT_TRUE(mentions(problems, "table orphans: row type Nope is not a struct of this module"));
  EXPECT_TRUE(mentions(problems, "reducer hello: parameter name has unknown type Missing"));
  EXPECT_TRUE(mentions(problems, "subscription to 'hello.nothing.insert': no such event or table"));
  EXPECT_TRUE(mentions(problems, "subscription to 'init': reducer ghost does not exist"));
  EXPECT_TRUE(mentions(problems, "subscription to 'hello.greetings.upsert'"));
  EXPECT_EQ(problems.size(), 9u);
}

TEST(Schema, ACallbackMustTakeTheOutcome) {
  ModuleSchema s = hello_schema();
  s.reducers.push_back(ReducerDef{
      "on_result",
      {Field{"call_id", primitive(TypeKind::U64)}, Field{"ok", primitive(TypeKind::Bool)},
       Field{"error", primitive(TypeKind::String)}},
      ReducerKind::Callback});
  EXPECT_TRUE(check_schema(s).empty());
  s.reducers.push_back(
      ReducerDef{"on_other", {Field{"ok", primitive(TypeKind::Bool)}}, ReducerKind::Callback});
  EXPECT_TRUE(mentions(check_schema(s),
                       "callback on_other must take (u64 call_id, bool ok, string error)"));
}

TEST(SemVer, ParsesAndOrders) {
  EXPECT_EQ(SemVer::parse("1.2.3"), (SemVer{1, 2, 3}));
  EXPECT_FALSE(SemVer::parse("1.2").has_value());
  EXPECT_FALSE(SemVer::parse("1.2.3.4").has_value());
  EXPECT_FALSE(SemVer::parse("a.b.c").has_value());
  EXPECT_FALSE(SemVer::parse("").has_value());
  EXPECT_LT((SemVer{1, 2, 3}), (SemVer{1, 10, 0}));
  EXPECT_EQ((SemVer{0, 1, 0}).to_string(), "0.1.0");
}

TEST(SemVer, RequirementsFollowCargo) {
  SemVer v{1, 2, 3};
  EXPECT_TRUE(satisfies(v, "1.2.0"));
  EXPECT_TRUE(satisfies(v, "^1.0.0"));
  EXPECT_FALSE(satisfies(v, "^1.3.0"));
  EXPECT_FALSE(satisfies(v, "^2.0.0"));
  EXPECT_TRUE(satisfies(v, "~1.2.0"));
  EXPECT_FALSE(satisfies(v, "~1.1.0"));
  EXPECT_TRUE(satisfies(v, "=1.2.3"));
  EXPECT_FALSE(satisfies(v, "=1.2.4"));
  EXPECT_TRUE(satisfies(v, ">=0.9.0"));
  EXPECT_TRUE(satisfies(v, "*"));
  EXPECT_TRUE(satisfies(SemVer{0, 1, 5}, "^0.1.0"));
  EXPECT_FALSE(satisfies(SemVer{0, 2, 0}, "^0.1.0"));
  EXPECT_FALSE(satisfies(v, "banana"));
}

}  // namespace
}  // namespace interstice::abi
