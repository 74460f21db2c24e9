// plan_publish: what replacing a module's schema does to each table, and
// when it must be refused (a table with rows that changes or goes).
#include <gtest/gtest.h>

#include <tuple>

#include "abi/serialize.h"
#include "runtime/publish_plan.h"

namespace interstice::runtime {
namespace {

abi::ModuleSchema schema(std::string version_tag, std::vector<std::string> tables,
                         abi::TypeKind id_kind = abi::TypeKind::U64) {
  abi::ModuleSchema s;
  s.name = "shop";
  s.version = abi::SemVer{1, static_cast<uint32_t>(version_tag.size()), 0};
  for (const std::string& t : tables) {
    s.types.push_back(abi::TypeDef{
        t + "_row", abi::TypeDefKind::Struct, {abi::Field{"id", abi::primitive(id_kind)}}});
    abi::TableDef def;
    def.name = t;
    def.row_type = t + "_row";
    s.tables.push_back(def);
  }
  return s;
}

TEST(PublishPlan, ANewModuleHasOnlyNewTables) {
  PublishPlan plan = plan_publish(nullptr, {}, schema("a", {"items", "orders"}));
  EXPECT_EQ(plan.previous_version, "");
  ASSERT_EQ(plan.tables.size(), 2u);
  EXPECT_EQ(plan.tables[0].change, TableChange::New);
  EXPECT_EQ(plan.refusal, "");
}

TEST(PublishPlan, KeptNewChangedAndDroppedTables) {
  auto old = schema("a", {"items", "orders", "carts"});
  auto next = schema("ab", {"items", "orders", "reviews"});
  next.types[1].fields[0].type = abi::primitive(abi::TypeKind::I32);  // orders' row changes
  PublishPlan plan = plan_publish(&old, {{"items", 5}, {"orders", 0}, {"carts", 0}}, next);
  EXPECT_EQ(plan.previous_version, "1.1.0");
  EXPECT_EQ(plan.version, "1.2.0");
  ASSERT_EQ(plan.tables.size(), 4u);
  EXPECT_EQ(plan.tables[0].change, TableChange::Kept);
  EXPECT_EQ(plan.tables[0].rows, 5u);
  EXPECT_EQ(plan.tables[1].change, TableChange::Changed);
  EXPECT_EQ(plan.tables[2].change, TableChange::New);
  EXPECT_EQ(plan.tables[3].table, "carts");
  EXPECT_EQ(plan.tables[3].change, TableChange::Dropped);
  EXPECT_EQ(plan.refusal, "");  // what changes or goes is empty
}

TEST(PublishPlan, ATableWithRowsThatChangesOrGoesIsRefused) {
  auto old = schema("a", {"items", "carts"});
  auto changed = schema("ab", {"items", "carts"});
  changed.types[0].fields[0].type = abi::primitive(abi::TypeKind::String);
  PublishPlan plan = plan_publish(&old, {{"items", 3}}, changed);
  EXPECT_NE(plan.refusal.find("table items has 3 rows and its definition changed"),
            std::string::npos)
      << plan.refusal;

  PublishPlan dropped = plan_publish(&old, {{"carts", 7}}, schema("ab", {"items"}));
  EXPECT_NE(dropped.refusal.find("table carts has 7 rows and the new version drops it"),
            std::string::npos)
      << dropped.refusal;
}

// users(id u64 primary key, email string), with `indexes` on email.
abi::ModuleSchema users(std::vector<abi::IndexDef> indexes) {
  abi::ModuleSchema s;
  s.name = "accounts";
  s.version = abi::SemVer{2, 0, 0};
  s.types.push_back(abi::TypeDef{"user",
                                 abi::TypeDefKind::Struct,
                                 {abi::Field{"id", abi::primitive(abi::TypeKind::U64)},
                                  abi::Field{"email", abi::primitive(abi::TypeKind::String)}}});
  abi::TableDef def;
  def.name = "users";
  def.row_type = "user";
  def.indexes = std::move(indexes);
  s.tables.push_back(def);
  return s;
}

TEST(PublishPlan, OtherIndexesKeepTheRows) {
  auto old = users({{"by_email", 1, false}});
  auto next = users({{"by_email_unique", 1, true}});
  PublishPlan plan = plan_publish(&old, {{"users", 4}}, next);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].change, TableChange::Reindexed);
  EXPECT_EQ(plan.tables[0].added_indexes, std::vector<std::string>{"by_email_unique"});
  EXPECT_EQ(plan.tables[0].dropped_indexes, std::vector<std::string>{"by_email"});
  EXPECT_EQ(plan.refusal, "");
  ASSERT_EQ(new_unique_indexes(old.tables[0], next.tables[0]).size(), 1u);
  EXPECT_TRUE(new_unique_indexes(next.tables[0], next.tables[0]).empty());
}

TEST(PublishPlan, ANewUniqueIndexNamesRowsThatShareAValue) {
  auto schema = users({});
  Table table(schema.tables[0], schema);
  auto insert = [&](uint64_t id, const std::string& email) {
    int64_t assigned = 0;
    std::string pk, problem;
    ASSERT_EQ(table.insert(abi::to_bytes(std::make_tuple(id, email)), &assigned, &pk, &problem),
              abi::Status::Ok)
        << problem;
  };
  insert(1, "ann@example.com");
  insert(2, "bo@example.com");
  abi::IndexDef unique{"by_email", 1, true};
  EXPECT_EQ(unique_violation(table, unique), "");
  insert(3, "bo@example.com");
  insert(4, "cy@example.com");
  insert(5, "cy@example.com");
  insert(6, "cy@example.com");
  EXPECT_EQ(unique_violation(table, unique),
            "the new unique index by_email of table users finds 2 rows with email = "
            "\"bo@example.com\" (2 shared values in all)");
}

}  // namespace
}  // namespace interstice::runtime
