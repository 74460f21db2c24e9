// Views (abi::TableDef::view, docs/sdk.md "Views"): who reads a table from
// outside the node, and which rows they see.
//
// A view is a SQL condition over the row's columns (the WHERE subset of
// query/sql.h) in which `:reader` stands for the reader's identity, as a
// string: a peer's node id (64 hex digits), a client's "client:<key hex>",
// or kHttpClientCaller for an anonymous HTTP caller: what ctx.caller() is
// when that reader calls a reducer. The operator and the node's own modules
// read every row. The condition is bound once per reader and table, and
// then costs one evaluation per row read or changed, per reader.
//
// Threading: pure functions, and a filter that binds on the module's
// executor (where the table may be read).
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "query/plan.h"
#include "query/sql.h"
#include "runtime/table.h"
#include "runtime/transaction.h"

namespace interstice::node {

struct Reader {
  bool is_operator = false;  // reads every row, private tables included
  std::string id;            // else: the identity :reader stands for

  static Reader operator_key() { return {true, {}}; }
  static Reader named(std::string id) { return {false, std::move(id)}; }
};

// The view's condition for `reader`, with `:reader` replaced by its identity
// as a string literal; nullopt when the reader sees every row (no view, or
// the operator). InvalidArgument if the view is not a condition the SQL
// subset accepts.
base::Result<std::optional<query::Condition>> view_condition(const abi::TableDef& table,
                                                             const Reader& reader);

// `query` narrowed to what `reader` sees of `table`: its WHERE and the view's
// condition, both.
base::Result<void> narrow_to_view(query::SelectQuery* query, const runtime::Table& table,
                                  const Reader& reader);

// Whether `reader` sees a row of `table`: a view bound for that reader, or
// every row. For reads that walk the table themselves (pages, queries).
class RowVisibility {
 public:
  static base::Result<RowVisibility> bind(const runtime::Table& table, const Reader& reader);
  bool sees(runtime::ByteView row) const { return !plan_ || plan_->matches(row); }
  bool sees_all() const { return !plan_.has_value(); }

 private:
  std::optional<query::QueryPlan> plan_;
};

// Why a table's view is not valid (empty if it is): RuntimeOptions::check_view.
std::string check_view(const runtime::Table& table);

// The row filter of queries run for `reader` (runtime::Transaction::filter):
// each table's view is bound the first time the query reads it. A view that
// no longer binds hides every row.
runtime::RowFilter row_filter_for(const Reader& reader);

}  // namespace interstice::node
