#include "node/table_view.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "node/node.h"  // kHttpClientCaller

namespace interstice::node {

namespace {

// The name the view's condition is parsed under (it never reaches a table).
constexpr std::string_view kViewTable = "view";

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// `condition` with every `:reader` outside a string literal replaced by
// `id` as a string literal (quotes doubled).
std::string substitute_reader(const std::string& condition, const std::string& id) {
  constexpr std::string_view kParameter = ":reader";
  std::string literal = "'";
  for (char c : id) literal += c == '\'' ? std::string("''") : std::string(1, c);
  literal += "'";
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < condition.size(); ++i) {
    char c = condition[i];
    if (c == '\'') quoted = !quoted;
    size_t end = i + kParameter.size();
    if (!quoted && condition.compare(i, kParameter.size(), kParameter) == 0 &&
        (end == condition.size() || !identifier_char(condition[end]))) {
      out += literal;
      i = end - 1;
      continue;
    }
    out += c;
  }
  return out;
}

base::Error invalid(std::string message) {
  return base::make_error(std::move(message), base::ErrorCode::InvalidArgument);
}

}  // namespace

base::Result<std::optional<query::Condition>> view_condition(const abi::TableDef& table,
                                                             const Reader& reader) {
  if (table.view.empty() || reader.is_operator) return std::optional<query::Condition>{};
  std::string sql = fmt::format("SELECT * FROM {} WHERE {}", kViewTable,
                                substitute_reader(table.view, reader.id));
  auto parsed = query::parse_sql(sql);
  if (!parsed) return invalid(fmt::format("'{}': {}", table.view, parsed.error().message));
  if (!parsed->where || parsed->table != kViewTable || !parsed->module.empty() ||
      parsed->order_by || parsed->limit || !parsed->columns.empty())
    return invalid(fmt::format("'{}' is not a condition on the row's columns", table.view));
  return std::optional<query::Condition>(std::move(*parsed->where));
}

base::Result<void> narrow_to_view(query::SelectQuery* query, const runtime::Table& table,
                                  const Reader& reader) {
  auto condition = view_condition(table.def(), reader);
  if (!condition) return condition.take_error();
  if (!*condition) return {};
  if (!query->where) {
    query->where = std::move(**condition);
    return {};
  }
  query::Condition both;
  both.kind = query::Condition::Kind::And;
  both.operands.push_back(std::move(*query->where));
  both.operands.push_back(std::move(**condition));
  query->where = std::move(both);
  return {};
}

base::Result<RowVisibility> RowVisibility::bind(const runtime::Table& table, const Reader& reader) {
  RowVisibility visibility;
  query::SelectQuery query;
  query.table = table.name();
  if (auto narrowed = narrow_to_view(&query, table, reader); !narrowed)
    return narrowed.take_error();
  if (!query.where) return visibility;
  auto plan = query::QueryPlan::bind(query, table);
  if (!plan) return invalid(fmt::format("'{}': {}", table.def().view, plan.error().message));
  visibility.plan_ = std::move(plan).value();
  return visibility;
}

std::string check_view(const runtime::Table& table) {
  // Bound for a reader whose identity is a string: the columns compared to
  // :reader must be strings, and every other literal must fit its column.
  auto bound = RowVisibility::bind(table, Reader::named(kHttpClientCaller));
  return bound ? std::string() : bound.error().message;
}

runtime::RowFilter row_filter_for(const Reader& reader) {
  if (reader.is_operator) return nullptr;
  auto bound = std::make_shared<std::map<const runtime::Table*, std::optional<RowVisibility>>>();
  return [reader, bound](const runtime::Table& table, runtime::ByteView row) {
    if (table.def().view.empty()) return true;
    auto [it, fresh] = bound->try_emplace(&table);
    if (fresh)
      if (auto visibility = RowVisibility::bind(table, reader)) it->second = std::move(*visibility);
    return it->second && it->second->sees(row);
  };
}

}  // namespace interstice::node
