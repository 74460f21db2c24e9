#include "query/sql.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdlib>

namespace interstice::query {

using json = nlohmann::json;

const char* to_string(CompareOp op) {
  switch (op) {
    case CompareOp::Eq:
      return "=";
    case CompareOp::Ne:
      return "!=";
    case CompareOp::Lt:
      return "<";
    case CompareOp::Le:
      return "<=";
    case CompareOp::Gt:
      return ">";
    case CompareOp::Ge:
      return ">=";
  }
  return "?";
}

namespace {

base::Error refused(const std::string& what) {
  return base::make_error(what, base::ErrorCode::InvalidArgument);
}

base::Error unsupported(const std::string& what) {
  return refused(fmt::format(
      "{} is not supported: queries are SELECT * | columns FROM [module.]table [WHERE column op "
      "literal [AND|OR ...]] [ORDER BY column [ASC|DESC]] [LIMIT n]",
      what));
}

// The single node type inside a parse-tree node ({"ColumnRef": {...}}).
std::string node_kind(const json& node) {
  return node.is_object() && node.size() == 1 ? node.begin().key() : "an expression";
}

// A plain column name from a ColumnRef, or why not.
base::Result<std::string> column_name(const json& node) {
  if (!node.contains("ColumnRef")) return unsupported(node_kind(node) + " in place of a column");
  const json& fields = node["ColumnRef"].value("fields", json::array());
  if (fields.size() != 1 || !fields[0].contains("String"))
    return unsupported("a qualified column or *");
  return fields[0]["String"].value("sval", "");
}

// A numeric constant, read again from the text at its location (the parse
// tree's JSON leaves out zero and negative values).
base::Result<Literal> number_at(std::string_view sql, const json& constant) {
  int location = constant.value("location", -1);
  if (location < 0 || static_cast<size_t>(location) >= sql.size())
    return refused("a number without its place in the text");
  std::string_view rest = sql.substr(static_cast<size_t>(location));
  size_t end = 0;
  if (end < rest.size() && (rest[end] == '-' || rest[end] == '+')) ++end;
  bool decimal = false;
  while (end < rest.size()) {
    char ch = rest[end];
    if (ch >= '0' && ch <= '9') {
      ++end;
    } else if (ch == '.' || ch == 'e' || ch == 'E') {
      decimal = true;
      ++end;
      if ((ch == 'e' || ch == 'E') && end < rest.size() && (rest[end] == '-' || rest[end] == '+'))
        ++end;
    } else {
      break;
    }
  }
  std::string text(rest.substr(0, end));
  if (decimal) {
    char* parsed_to = nullptr;
    double value = std::strtod(text.c_str(), &parsed_to);
    if (parsed_to != text.c_str() + text.size()) return refused("the number " + text + " is malformed");
    return Literal(value);
  }
  std::string_view digits = text;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  if (digits.starts_with('-')) {
    int64_t value = 0;
    auto [at, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || at != digits.data() + digits.size())
      return refused("the number " + text + " does not fit 64 bits");
    return Literal(value);
  }
  uint64_t value = 0;
  auto [at, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || at != digits.data() + digits.size())
    return refused("the number " + text + " does not fit 64 bits");
  if (value <= static_cast<uint64_t>(INT64_MAX)) return Literal(static_cast<int64_t>(value));
  return Literal(value);
}

base::Result<Literal> literal(std::string_view sql, const json& node) {
  if (!node.contains("A_Const")) return unsupported(node_kind(node) + " in place of a literal");
  const json& constant = node["A_Const"];
  if (constant.value("isnull", false)) return unsupported("NULL");
  if (constant.contains("sval")) return Literal(constant["sval"].value("sval", std::string()));
  if (constant.contains("boolval")) return Literal(constant["boolval"].value("boolval", false));
  if (constant.contains("ival") || constant.contains("fval")) return number_at(sql, constant);
  return unsupported("this kind of constant");
}

std::optional<CompareOp> compare_op(const std::string& name) {
  if (name == "=") return CompareOp::Eq;
  if (name == "<>" || name == "!=") return CompareOp::Ne;
  if (name == "<") return CompareOp::Lt;
  if (name == "<=") return CompareOp::Le;
  if (name == ">") return CompareOp::Gt;
  if (name == ">=") return CompareOp::Ge;
  return std::nullopt;
}

// `literal op column` is `column op' literal`.
CompareOp mirrored(CompareOp op) {
  switch (op) {
    case CompareOp::Lt:
      return CompareOp::Gt;
    case CompareOp::Le:
      return CompareOp::Ge;
    case CompareOp::Gt:
      return CompareOp::Lt;
    case CompareOp::Ge:
      return CompareOp::Le;
    default:
      return op;
  }
}

base::Result<Condition> condition(std::string_view sql, const json& node, int depth) {
  if (depth > 64) return refused("the WHERE clause nests deeper than 64 levels");
  if (node.contains("BoolExpr")) {
    const json& expr = node["BoolExpr"];
    std::string op = expr.value("boolop", "");
    if (op != "AND_EXPR" && op != "OR_EXPR") return unsupported("NOT");
    Condition out;
    out.kind = op == "AND_EXPR" ? Condition::Kind::And : Condition::Kind::Or;
    for (const json& arg : expr.value("args", json::array())) {
      auto inner = condition(sql, arg, depth + 1);
      if (!inner) return inner.take_error();
      out.operands.push_back(std::move(inner).value());
    }
    return out;
  }
  if (!node.contains("A_Expr")) return unsupported(node_kind(node) + " in WHERE");
  const json& expr = node["A_Expr"];
  if (expr.value("kind", "") != "AEXPR_OP") return unsupported("this operator (IN, LIKE, BETWEEN...)");
  const json& names = expr.value("name", json::array());
  std::string name = names.size() == 1 && names[0].contains("String")
                         ? names[0]["String"].value("sval", "")
                         : std::string();
  std::optional<CompareOp> op = compare_op(name);
  if (!op) return unsupported("the operator '" + name + "'");
  if (!expr.contains("lexpr") || !expr.contains("rexpr")) return unsupported("a unary operator");
  Condition out;
  const json& left = expr["lexpr"];
  const json& right = expr["rexpr"];
  bool column_first = left.contains("ColumnRef");
  auto column = column_name(column_first ? left : right);
  if (!column) return column.take_error();
  auto value = literal(sql, column_first ? right : left);
  if (!value) return value.take_error();
  out.column = std::move(column).value();
  out.op = column_first ? *op : mirrored(*op);
  out.literal = std::move(value).value();
  return out;
}

base::Result<SelectQuery> from_tree(std::string_view sql, const json& tree) {
  const json& statements = tree.value("stmts", json::array());
  if (statements.size() != 1) return refused("send exactly one statement");
  const json& statement = statements[0].value("stmt", json::object());
  if (!statement.contains("SelectStmt")) return unsupported(node_kind(statement));
  const json& select = statement["SelectStmt"];
  for (const char* clause : {"distinctClause", "intoClause", "groupClause", "havingClause",
                             "windowClause", "valuesLists", "limitOffset", "lockingClause",
                             "withClause", "larg", "rarg"})
    if (select.contains(clause)) return unsupported(std::string(clause));
  if (select.value("op", "SETOP_NONE") != "SETOP_NONE") return unsupported("UNION");
  SelectQuery query;
  const json& from = select.value("fromClause", json::array());
  if (from.size() != 1 || !from[0].contains("RangeVar"))
    return unsupported(from.empty() ? "a SELECT without FROM" : "a join or a subquery");
  const json& range = from[0]["RangeVar"];
  if (range.contains("alias")) return unsupported("a table alias");
  if (range.contains("catalogname")) return unsupported("a three-part table name");
  query.module = range.value("schemaname", "");
  query.table = range.value("relname", "");
  for (const json& target : select.value("targetList", json::array())) {
    const json& res = target.value("ResTarget", json::object());
    if (res.contains("name")) return unsupported("a column alias");
    const json& value = res.value("val", json::object());
    if (value.contains("ColumnRef")) {
      const json& fields = value["ColumnRef"].value("fields", json::array());
      if (fields.size() == 1 && fields[0].contains("A_Star")) {
        if (select["targetList"].size() != 1) return unsupported("* beside other columns");
        continue;
      }
    }
    auto column = column_name(value);
    if (!column) return column.take_error();
    query.columns.push_back(std::move(column).value());
  }
  if (select.contains("whereClause")) {
    auto where = condition(sql, select["whereClause"], 0);
    if (!where) return where.take_error();
    query.where = std::move(where).value();
  }
  const json& sort = select.value("sortClause", json::array());
  if (sort.size() > 1) return unsupported("ORDER BY more than one column");
  if (sort.size() == 1) {
    const json& by = sort[0].value("SortBy", json::object());
    if (by.value("sortby_nulls", "SORTBY_NULLS_DEFAULT") != "SORTBY_NULLS_DEFAULT")
      return unsupported("NULLS FIRST/LAST");
    std::string direction = by.value("sortby_dir", "SORTBY_DEFAULT");
    if (direction == "SORTBY_USING") return unsupported("ORDER BY ... USING");
    auto column = column_name(by.value("node", json::object()));
    if (!column) return column.take_error();
    query.order_by = std::move(column).value();
    query.descending = direction == "SORTBY_DESC";
  }
  if (select.contains("limitCount")) {
    if (select.value("limitOption", "") != "LIMIT_OPTION_COUNT")
      return unsupported("FETCH ... WITH TIES");
    auto count = literal(sql, select["limitCount"]);
    if (!count) return count.take_error();
    if (const auto* n = std::get_if<int64_t>(&*count); n && *n >= 0)
      query.limit = static_cast<uint64_t>(*n);
    else if (const auto* u = std::get_if<uint64_t>(&*count))
      query.limit = *u;
    else
      return refused("LIMIT takes a number of rows, 0 or more");
  }
  return query;
}

}  // namespace

base::Result<SelectQuery> parse_sql(std::string_view sql) {
  if (sql.size() > kMaxSqlBytes)
    return refused(fmt::format("the query is longer than {} bytes", kMaxSqlBytes));
  if (sql.find('\0') != std::string_view::npos) return refused("the query holds a NUL byte");
  // The parser keeps memory per thread; it is freed when the thread ends
  // (else threads that end, such as HTTP workers, would leak it).
  thread_local struct FreeAtThreadEnd {
    ~FreeAtThreadEnd() { pg_query_exit(); }
  } free_at_thread_end;
  (void)free_at_thread_end;
  std::string text(sql);
  PgQueryParseResult result = pg_query_parse(text.c_str());
  struct Free {
    PgQueryParseResult& r;
    ~Free() { pg_query_free_parse_result(r); }
  } free_result{result};
  if (result.error)
    return refused(fmt::format("SQL syntax error at character {}: {}", result.error->cursorpos,
                               result.error->message ? result.error->message : "?"));
  json tree = json::parse(result.parse_tree, nullptr, false);
  if (tree.is_discarded()) return refused("the SQL parser gave an unreadable tree");
  return from_tree(sql, tree);
}

}  // namespace interstice::query
