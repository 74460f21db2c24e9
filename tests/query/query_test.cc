// SQL parsing (query/sql.h) and plans over a real table (query/plan.h):
// the subset and its refusals, comparisons by type, index choice, ORDER BY
// and LIMIT, and the bound on rows held.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "abi/serialize.h"
#include "query/plan.h"
#include "query/sql.h"

namespace interstice::query {
namespace {

using abi::TypeKind;
using Row = std::tuple<uint64_t, std::string, int32_t, double, bool>;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_.types.push_back(abi::TypeDef{"Row",
                                         abi::TypeDefKind::Struct,
                                         {{"id", abi::primitive(TypeKind::U64)},
                                          {"name", abi::primitive(TypeKind::String)},
                                          {"score", abi::primitive(TypeKind::I32)},
                                          {"ratio", abi::primitive(TypeKind::F64)},
                                          {"ok", abi::primitive(TypeKind::Bool)}}});
    abi::TableDef def;
    def.name = "items";
    def.row_type = "Row";
    def.primary_key = 0;
    def.indexes.push_back(abi::IndexDef{"by_score", 2, false});
    schema_.tables.push_back(def);
    table_ = std::make_unique<runtime::Table>(schema_.tables[0], schema_);
    for (uint64_t id = 1; id <= 100; ++id) {
      Row row{id, "n" + std::to_string(id % 10), static_cast<int32_t>(id % 7) - 3, id / 4.0,
              id % 2 == 0};
      int64_t assigned = 0;
      std::string pk, problem;
      ASSERT_EQ(table_->insert(abi::to_bytes(row), &assigned, &pk, &problem), abi::Status::Ok)
          << problem;
    }
  }

  // The ids that `sql` returns, in order, and how it read them.
  std::vector<uint64_t> ids(const std::string& sql, std::string* path = nullptr) {
    auto query = parse_sql(sql);
    EXPECT_TRUE(query) << sql << ": " << query.error().message;
    if (!query) return {};
    auto plan = QueryPlan::bind(*query, *table_);
    EXPECT_TRUE(plan) << sql << ": " << plan.error().message;
    if (!plan) return {};
    if (path) *path = plan->access_path();
    auto rows = plan->run(*table_, 1000);
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<uint64_t> out;
    for (const auto& bytes : *rows) out.push_back(std::get<0>(*abi::from_bytes<Row>(bytes)));
    return out;
  }
  std::string refusal(const std::string& sql) {
    auto query = parse_sql(sql);
    if (!query) return query.error().message;
    auto plan = QueryPlan::bind(*query, *table_);
    return plan ? "" : plan.error().message;
  }

  abi::ModuleSchema schema_;
  std::unique_ptr<runtime::Table> table_;
};

TEST_F(QueryTest, TheSubsetParses) {
  auto query = parse_sql(
      "SELECT id, name FROM hello.items WHERE score >= -2 AND (name = 'n3' OR 7 > id) "
      "ORDER BY ratio DESC LIMIT 5");
  ASSERT_TRUE(query) << query.error().message;
  EXPECT_EQ(query->module, "hello");
  EXPECT_EQ(query->table, "items");
  EXPECT_EQ(query->columns, (std::vector<std::string>{"id", "name"}));
  ASSERT_TRUE(query->where);
  EXPECT_EQ(query->where->kind, Condition::Kind::And);
  EXPECT_EQ(query->where->operands[0].literal, Literal(int64_t{-2}));
  const Condition& mirrored = query->where->operands[1].operands[1];
  EXPECT_EQ(mirrored.column, "id");
  EXPECT_EQ(mirrored.op, CompareOp::Lt);
  EXPECT_EQ(query->order_by, "ratio");
  EXPECT_TRUE(query->descending);
  EXPECT_EQ(query->limit, 5u);
}

TEST_F(QueryTest, EverythingOutsideTheSubsetIsRefusedByName) {
  EXPECT_NE(refusal("SELEC * FROM items").find("syntax error"), std::string::npos);
  EXPECT_NE(refusal("DELETE FROM items").find("DeleteStmt is not supported"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items, other").find("join"), std::string::npos);
  EXPECT_NE(refusal("SELECT count(*) FROM items").find("FuncCall"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE NOT ok").find("NOT"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE name IS NULL").find("NullTest"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE name LIKE 'a%'").find("operator"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items GROUP BY id").find("groupClause"), std::string::npos);
  EXPECT_NE(refusal("SELECT 1; SELECT 2").find("exactly one statement"), std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE nope = 1").find("no column 'nope'"),
            std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE id = 'x'").find("the column is u64"),
            std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE score = 3000000000").find("out of the range"),
            std::string::npos);
  EXPECT_NE(refusal("SELECT * FROM items WHERE id = 99999999999999999999").find("64 bits"),
            std::string::npos);
  EXPECT_NE(refusal(std::string(kMaxSqlBytes + 1, ' ')).find("longer than"), std::string::npos);
}

TEST_F(QueryTest, ComparisonsFollowTheColumnsTypes) {
  EXPECT_EQ(ids("SELECT * FROM items WHERE score = -3 AND id < 20"),
            (std::vector<uint64_t>{7, 14}));
  EXPECT_EQ(ids("SELECT * FROM items WHERE ratio > 24.5"), (std::vector<uint64_t>{99, 100}));
  EXPECT_EQ(ids("SELECT * FROM items WHERE ratio <= 0.5"), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ids("SELECT * FROM items WHERE name = 'n0' AND ok = true AND id != 20"),
            (std::vector<uint64_t>{10, 30, 40, 50, 60, 70, 80, 90, 100}));
  EXPECT_EQ(ids("SELECT * FROM items WHERE id = 3 OR id = 97 OR name > 'n8' AND id < 10"),
            (std::vector<uint64_t>{3, 9, 97}));
}

TEST_F(QueryTest, AnIndexIsUsedForAnEqualityOrARange) {
  std::string path;
  EXPECT_EQ(ids("SELECT * FROM items WHERE id = 42", &path), (std::vector<uint64_t>{42}));
  EXPECT_EQ(path, "index scan on id");
  EXPECT_EQ(ids("SELECT * FROM items WHERE id > 97", &path), (std::vector<uint64_t>{98, 99, 100}));
  EXPECT_EQ(path, "index scan on id");
  // The equality on the indexed score goes before the range on the key.
  EXPECT_EQ(ids("SELECT * FROM items WHERE id >= 80 AND score = 3", &path),
            (std::vector<uint64_t>{83, 90, 97}));
  EXPECT_EQ(path, "index scan on score");
  EXPECT_EQ(ids("SELECT * FROM items WHERE name = 'n1' AND id < 30", &path),
            (std::vector<uint64_t>{1, 11, 21}));
  EXPECT_EQ(path, "index scan on id");
  // No index: an OR at the top, a float, an unindexed column.
  ids("SELECT * FROM items WHERE id = 1 OR id = 2", &path);
  EXPECT_EQ(path, "full scan");
  ids("SELECT * FROM items WHERE name = 'n1'", &path);
  EXPECT_EQ(path, "full scan");
}

TEST_F(QueryTest, OrderByAndLimit) {
  EXPECT_EQ(ids("SELECT * FROM items ORDER BY ratio DESC LIMIT 3"),
            (std::vector<uint64_t>{100, 99, 98}));
  EXPECT_EQ(ids("SELECT * FROM items WHERE score = 3 ORDER BY id DESC LIMIT 2"),
            (std::vector<uint64_t>{97, 90}));
  EXPECT_EQ(ids("SELECT * FROM items LIMIT 2"), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ids("SELECT * FROM items LIMIT 0"), (std::vector<uint64_t>{}));
  // score sorts as a signed number: -3 first.
  auto first = ids("SELECT * FROM items ORDER BY score LIMIT 1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0] % 7, 0u);
}

TEST_F(QueryTest, AQueryHoldsAtMostTheRowsItMay) {
  auto query = parse_sql("SELECT * FROM items WHERE id > 10");
  ASSERT_TRUE(query);
  auto plan = QueryPlan::bind(*query, *table_);
  ASSERT_TRUE(plan);
  auto rows = plan->run(*table_, 50);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("more than 50 rows"), std::string::npos);
  auto limited = parse_sql("SELECT * FROM items WHERE id > 10 LIMIT 50");
  EXPECT_EQ(QueryPlan::bind(*limited, *table_)->run(*table_, 50)->size(), 50u);
}

TEST_F(QueryTest, ProjectionNamesItsColumns) {
  auto query = parse_sql("SELECT ok, id FROM items");
  ASSERT_TRUE(query);
  auto plan = QueryPlan::bind(*query, *table_);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->columns(), (std::vector<uint32_t>{4, 0}));
  auto star = QueryPlan::bind(*parse_sql("SELECT * FROM items"), *table_);
  EXPECT_EQ(star->columns().size(), 5u);
}

}  // namespace
}  // namespace interstice::query
