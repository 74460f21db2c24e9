// QueryPlan: a SelectQuery (sql.h) bound to one table: its columns found,
// its literals checked against their columns' types and encoded, and the
// index it reads through chosen. Used for one-off reads (POST /v1/sql) and
// for subscription filters (matches()).
//
// Comparisons follow the column's type: integers and floats as numbers,
// strings byte by byte (UTF-8 order), bools false < true. Only columns of
// those types can be compared. When the WHERE clause is one
// comparison, or an AND of several, and one of them is an equality or a
// range on the primary key or an indexed column, the rows are read through
// that index (the first equality, else the first range); otherwise every
// row is read. Every row read is checked against the whole WHERE clause.
//
// Threading: a plan is immutable once bound; run() reads its table, so it
// runs where the table may be read (the module's executor).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "query/sql.h"
#include "runtime/table.h"

namespace interstice::query {

class QueryPlan {
 public:
  // InvalidArgument if a column does not exist or a literal does not fit
  // its column's type.
  static base::Result<QueryPlan> bind(const SelectQuery& query, const runtime::Table& table);

  // Whether a row of the table passes the WHERE clause (true without one).
  bool matches(runtime::ByteView row) const;
  // The rows that match, in ORDER BY order (else in the order of the index
  // read), at most LIMIT. Failed if more than `max_rows` rows would have to
  // be held to answer (the caller's bound).
  base::Result<std::vector<runtime::Bytes>> run(const runtime::Table& table,
                                                size_t max_rows) const;

  // The columns to return, by index (every column for *).
  const std::vector<uint32_t>& columns() const { return columns_; }
  // How it reads: "full scan", or "index scan on COLUMN" (for tests and logs).
  std::string access_path() const;

 private:
  struct Leaf {
    uint32_t column = 0;
    CompareOp op = CompareOp::Eq;
    bool numeric = false;   // float column: compared as doubles
    std::string key;        // else: the literal's order key (runtime::order_key)
    double number = 0;      // numeric
    runtime::Bytes encoded; // the literal in the column's encoding (index bounds)
  };
  struct Node {
    Condition::Kind kind = Condition::Kind::Compare;
    Leaf leaf;
    std::vector<Node> operands;
  };
  base::Result<Node> bind_condition(const Condition& condition) const;
  bool evaluate(const Node& node, const std::vector<runtime::ByteView>& columns) const;
  // The ORDER BY column's sort key of a row.
  std::string sort_key(runtime::ByteView row) const;

  const runtime::Table* table_ = nullptr;
  std::vector<uint32_t> columns_;
  std::optional<Node> where_;
  std::optional<uint32_t> order_by_;
  bool descending_ = false;
  std::optional<uint64_t> limit_;
  // The index read: -2 none, -1 the primary key, else a secondary index.
  int32_t index_ = -2;
  uint32_t index_column_ = 0;
  std::optional<runtime::Bytes> lo_, hi_;
};

}  // namespace interstice::query
