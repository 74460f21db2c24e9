// Reading a module's tables for the local interface (GET /tables, tools and
// tests). Threading: on the module's executor, so the table does not change
// meanwhile (Node::query, Node::query_page post them there).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "base/result.h"
#include "node/table_view.h"
#include "query/sql.h"
#include "runtime/runtime.h"

namespace interstice::node {

// Rows of a table, with what it takes to read them (the module's types).
struct Rows {
  std::vector<runtime::Bytes> rows;  // in primary-key order
  std::string row_type;
  std::vector<abi::TypeDef> types;
};

// Every row of the table; NotFound if there is no such table.
base::Result<Rows> read_all_rows(runtime::Runtime& runtime, const std::string& module,
                                 const std::string& table);

// One page of a table's rows: those after the one whose primary-key order key
// is `after` (from the first if null), at most `max_rows`, and no more once
// `max_bytes` of row data are reached (always at least one row). Only this
// page's rows are copied. A private table (abi::TableDef::visibility) is read
// by the operator only (Forbidden); a view shows `reader` its rows only (the
// rows it hides are walked past, not counted).
struct TablePage {
  Rows rows;
  std::optional<std::string> next;  // the last row's order key, if more rows follow
};
base::Result<TablePage> read_page(runtime::Runtime& runtime, const std::string& module,
                                  const std::string& table, const std::optional<std::string>& after,
                                  size_t max_rows, size_t max_bytes, const Reader& reader);

// The answer to a SQL query (query/plan.h): the matching rows, and the names
// of the columns asked for, in the query's order. NotFound (no such table),
// Forbidden (a private table, unless `as_operator`), InvalidArgument (the
// query does not fit the table, or more than `max_rows` rows to hold). A
// view narrows the query to the rows `reader` sees.
struct SqlAnswer {
  Rows rows;
  std::vector<std::string> columns;
};
base::Result<SqlAnswer> run_sql(runtime::Runtime& runtime, const query::SelectQuery& query,
                                size_t max_rows, const Reader& reader);

}  // namespace interstice::node
