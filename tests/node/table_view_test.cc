// Views (node/table_view.h): `:reader` stands for each reader's identity,
// quoted, and only outside string literals; the operator and tables without
// a view show every row; a view that does not fit its table is refused with
// the reason; narrowing keeps the reader's own WHERE; the queries' row
// filter binds each table once per reader.
#include "node/table_view.h"

#include <gtest/gtest.h>

#include <memory>
#include <tuple>

#include "abi/serialize.h"

namespace interstice::node {
namespace {

using abi::TypeKind;
using Row = std::tuple<uint64_t, std::string, std::string, uint32_t>;

class TableViewTest : public ::testing::Test {
 protected:
  std::unique_ptr<runtime::Table> table_with_view(const std::string& view) {
    schema_.types = {abi::TypeDef{"Note",
                                  abi::TypeDefKind::Struct,
                                  {{"id", abi::primitive(TypeKind::U64)},
                                   {"owner", abi::primitive(TypeKind::String)},
                                   {"text", abi::primitive(TypeKind::String)},
                                   {"level", abi::primitive(TypeKind::U32)}}}};
    abi::TableDef def;
    def.name = "notes";
    def.row_type = "Note";
    def.view = view;
    schema_.tables = {def};
    return std::make_unique<runtime::Table>(schema_.tables[0], schema_);
  }
  static abi::Bytes row(std::string owner, std::string text = "t", uint32_t level = 0) {
    return abi::Bytes{abi::to_bytes(Row{1, std::move(owner), std::move(text), level})};
  }
  abi::ModuleSchema schema_;
};

TEST_F(TableViewTest, EachReaderSeesTheRowsItsIdentitySelects) {
  auto table = table_with_view("owner = :reader OR level >= 3");
  EXPECT_EQ(check_view(*table), "");
  auto alice = RowVisibility::bind(*table, Reader::named("alice"));
  auto bob = RowVisibility::bind(*table, Reader::named("bob"));
  ASSERT_TRUE(alice && bob);
  EXPECT_TRUE(alice->sees(row("alice").data));
  EXPECT_FALSE(alice->sees(row("bob").data));
  EXPECT_TRUE(bob->sees(row("bob").data));
  EXPECT_TRUE(bob->sees(row("carol", "t", 3).data));
  EXPECT_FALSE(bob->sees(row("carol", "t", 2).data));
  // The operator sees everything; so does everyone when there is no view.
  auto all = RowVisibility::bind(*table, Reader::operator_key());
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->sees_all());
  auto plain = table_with_view("");
  auto anyone = RowVisibility::bind(*plain, Reader::named("x"));
  ASSERT_TRUE(anyone);
  EXPECT_TRUE(anyone->sees_all());
}

TEST_F(TableViewTest, TheReaderIsQuotedAndOnlyReplacedOutsideLiterals) {
  // An identity with a quote stays one string; ':reader' in quotes is text.
  auto table = table_with_view("owner = :reader OR text = ':reader'");
  auto odd = RowVisibility::bind(*table, Reader::named("o'brien' OR '1'='1"));
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_TRUE(odd->sees(row("o'brien' OR '1'='1").data));
  EXPECT_FALSE(odd->sees(row("someone").data));
  EXPECT_TRUE(odd->sees(row("someone", ":reader").data));
  // `:readers` is another word, not the parameter.
  auto other = table_with_view("owner = :readers");
  EXPECT_NE(check_view(*other), "");
}

TEST_F(TableViewTest, AViewThatDoesNotFitItsTableIsRefusedWithTheReason) {
  EXPECT_NE(check_view(*table_with_view("nope = :reader")).find("nope"), std::string::npos);
  EXPECT_NE(check_view(*table_with_view("level = :reader")), "");  // a string against u32
  EXPECT_NE(check_view(*table_with_view("owner = :reader ORDER BY id")), "");
  EXPECT_NE(check_view(*table_with_view("owner = :reader; DROP TABLE notes")), "");
  EXPECT_NE(check_view(*table_with_view("lower(owner) = :reader")), "");
}

TEST_F(TableViewTest, NarrowingKeepsTheReadersOwnCondition) {
  auto table = table_with_view("owner = :reader");
  auto query = query::parse_sql("SELECT * FROM notes WHERE level > 1");
  ASSERT_TRUE(query);
  ASSERT_TRUE(narrow_to_view(&*query, *table, Reader::named("alice")));
  auto plan = query::QueryPlan::bind(*query, *table);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->matches(row("alice", "t", 2).data));
  EXPECT_FALSE(plan->matches(row("alice", "t", 1).data));
  EXPECT_FALSE(plan->matches(row("bob", "t", 2).data));
}

TEST_F(TableViewTest, TheQueriesFilterFollowsTheReader) {
  auto table = table_with_view("owner = :reader");
  runtime::RowFilter alice = row_filter_for(Reader::named("alice"));
  ASSERT_TRUE(alice);
  EXPECT_TRUE(alice(*table, row("alice").data));
  EXPECT_FALSE(alice(*table, row("bob").data));
  EXPECT_FALSE(row_filter_for(Reader::operator_key()));
}

}  // namespace
}  // namespace interstice::node
