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
  ASSERT_EQ(new_unique_indexes(old, old.tables[0], next, next.tables[0]).size(), 1u);
  EXPECT_TRUE(new_unique_indexes(next, next.tables[0], next, next.tables[0]).empty());
}

// users with a u32 column `level` added after email, with a default or not.
abi::ModuleSchema users_with_level(bool with_default) {
  abi::ModuleSchema s = users({});
  s.version = abi::SemVer{2, 1, 0};
  s.types[0].fields.push_back(abi::Field{"level", abi::primitive(abi::TypeKind::U32)});
  if (with_default) s.tables[0].defaults.push_back({2, abi::to_bytes(uint32_t{1})});
  return s;
}

TEST(PublishPlan, ColumnsAddedWithDefaultsKeepTheRows) {
  auto old = users({});
  auto next = users_with_level(true);
  PublishPlan plan = plan_publish(&old, {{"users", 4}}, next);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].change, TableChange::Extended);
  EXPECT_EQ(plan.tables[0].added_columns, std::vector<std::string>{"level"});
  EXPECT_EQ(plan.refusal, "");
  auto sources = column_sources(old, old.tables[0], next, next.tables[0]);
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0], 0u);
  EXPECT_EQ(sources[1], 1u);
  EXPECT_FALSE(sources[2].has_value());

  // A column inserted before the others, with a default, is as good.
  auto first = users({});
  first.types[0].fields.insert(first.types[0].fields.begin(),
                               abi::Field{"level", abi::primitive(abi::TypeKind::U32)});
  first.tables[0].primary_key = 1;
  first.tables[0].defaults.push_back({0, abi::to_bytes(uint32_t{1})});
  EXPECT_EQ(plan_publish(&old, {{"users", 4}}, first).tables[0].change, TableChange::Extended);
}

TEST(PublishPlan, OtherRowChangesSayWhyTheyAreNotAutomatic) {
  auto old = users({});
  auto why = [&](const abi::ModuleSchema& next) {
    PublishPlan plan = plan_publish(&old, {{"users", 4}}, next);
    EXPECT_EQ(plan.tables[0].change, TableChange::Changed);
    EXPECT_NE(plan.refusal.find(plan.tables[0].problem), std::string::npos) << plan.refusal;
    EXPECT_NE(plan.refusal.find("INTERSTICE_MIGRATE(users, fn, \"=2.0.0\")"), std::string::npos)
        << plan.refusal;
    return plan.tables[0].problem;
  };
  EXPECT_EQ(why(users_with_level(false)), "new column level has no default");

  auto retyped = users({});
  retyped.types[0].fields[1].type = abi::primitive(abi::TypeKind::Bytes);
  EXPECT_EQ(why(retyped).rfind("column email changed type", 0), 0u);

  auto gone = users({});
  gone.types[0].fields.pop_back();
  gone.types[0].fields.push_back(abi::Field{"mail", abi::primitive(abi::TypeKind::String)});
  gone.tables[0].defaults.push_back({1, abi::to_bytes(std::string())});
  EXPECT_EQ(why(gone), "column email is gone");

  auto moved = users({});
  std::swap(moved.types[0].fields[0], moved.types[0].fields[1]);
  moved.tables[0].primary_key = 1;
  EXPECT_EQ(why(moved), "column id moved");
}

TEST(PublishPlan, ADeclaredMigrationTakesTheRowsOfTheVersionsItNames) {
  auto old = users({});
  auto next = users({});
  next.version = abi::SemVer{3, 0, 0};
  next.types[0].fields[1].type = abi::primitive(abi::TypeKind::Bytes);  // not automatic
  // The old shape, as the new version declares it, and the migration.
  next.types.push_back(abi::TypeDef{"old_user",
                                    abi::TypeDefKind::Struct,
                                    {abi::Field{"id", abi::primitive(abi::TypeKind::U64)},
                                     abi::Field{"email", abi::primitive(abi::TypeKind::String)}}});
  abi::Type old_user;
  old_user.kind = abi::TypeKind::Named;
  old_user.name = "old_user";
  next.reducers.push_back(abi::ReducerDef{"migrate_users", {abi::Field{"old", old_user}}});
  next.migrations.push_back(abi::MigrationDef{"users", "<3.0.0", "migrate_users"});
  PublishPlan plan = plan_publish(&old, {{"users", 4}}, next);
  EXPECT_EQ(plan.tables[0].change, TableChange::Migrated);
  EXPECT_EQ(plan.tables[0].migration, "migrate_users");
  EXPECT_EQ(plan.refusal, "");

  // Not for a version it does not name.
  next.migrations[0].from = "=1.0.0";
  EXPECT_EQ(plan_publish(&old, {{"users", 4}}, next).tables[0].change, TableChange::Changed);

  // A migration of a table the new version drops moves its rows elsewhere.
  next.migrations[0].from = "*";
  next.tables[0].name = "members";
  plan = plan_publish(&old, {{"users", 4}}, next);
  ASSERT_EQ(plan.tables.size(), 2u);
  EXPECT_EQ(plan.tables[1].table, "users");
  EXPECT_EQ(plan.tables[1].change, TableChange::Migrated);
  EXPECT_EQ(plan.refusal, "");

  // One that expects another shape of row is refused.
  next.types[1].fields[1].type = abi::primitive(abi::TypeKind::U32);
  plan = plan_publish(&old, {{"users", 4}}, next);
  EXPECT_NE(plan.refusal.find("the migration migrate_users of table users: it takes old_user, "
                              "which is not the shape of version 2.0.0's rows (user)"),
            std::string::npos)
      << plan.refusal;
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
  EXPECT_EQ(unique_violation(table, unique, 1), "");
  insert(3, "bo@example.com");
  insert(4, "cy@example.com");
  insert(5, "cy@example.com");
  insert(6, "cy@example.com");
  EXPECT_EQ(unique_violation(table, unique, 1),
            "the new unique index by_email of table users finds 2 rows with email = "
            "\"bo@example.com\" (2 shared values in all)");
}

}  // namespace
}  // namespace interstice::runtime
