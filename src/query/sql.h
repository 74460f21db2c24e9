// The SQL that clients may send: one SELECT over one table, parsed by
// PostgreSQL's own parser (libpg_query) and checked against this subset:
//
//   SELECT * | column [, column ...]
//   FROM [module.]table
//   [WHERE condition]          condition: column op literal (or literal op
//                              column), combined with AND, OR and parentheses;
//                              op: = != <> < <= > >=; literal: an integer, a
//                              decimal number, 'a string', true or false
//   [ORDER BY column [ASC|DESC]]
//   [LIMIT n]
//
// Anything else (joins, functions, NOT, IS NULL, aliases, GROUP BY, ...) is
// refused with a message naming it. Threading: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace interstice::query {

// The most bytes of SQL text parse_sql reads.
inline constexpr size_t kMaxSqlBytes = 16u << 10;

enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };
const char* to_string(CompareOp op);

// A literal as written: integers keep their text's exact value.
using Literal = std::variant<int64_t, uint64_t, double, std::string, bool>;

struct Condition {
  enum class Kind { Compare, And, Or };
  Kind kind = Kind::Compare;
  // Compare: column op literal.
  std::string column;
  CompareOp op = CompareOp::Eq;
  Literal literal;
  // And, Or: two or more.
  std::vector<Condition> operands;
};

struct SelectQuery {
  std::string module;                // empty if the FROM clause did not name one
  std::string table;
  std::vector<std::string> columns;  // empty: every column (*)
  std::optional<Condition> where;
  std::optional<std::string> order_by;
  bool descending = false;
  std::optional<uint64_t> limit;
};

// Parses `sql`: InvalidArgument with PostgreSQL's message for a syntax error,
// or with what is outside the subset.
base::Result<SelectQuery> parse_sql(std::string_view sql);

}  // namespace interstice::query
