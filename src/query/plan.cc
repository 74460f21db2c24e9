#include "query/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "abi/serialize.h"
#include "abi/type.h"

namespace interstice::query {

using abi::TypeKind;
using runtime::Bytes;
using runtime::ByteView;

namespace {

base::Error refused(const std::string& what) {
  return base::make_error(what, base::ErrorCode::InvalidArgument);
}

bool is_integer(TypeKind kind) {
  return kind >= TypeKind::I8 && kind <= TypeKind::U64;
}
bool is_float(TypeKind kind) {
  return kind == TypeKind::F32 || kind == TypeKind::F64;
}

std::string literal_text(const Literal& literal) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>)
          return "'" + v + "'";
        else if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else
          return fmt::format("{}", v);
      },
      literal);
}

// An integer literal in the encoding of integer kind `kind`, or nullopt if
// it is out of the kind's range.
template <typename T>
std::optional<Bytes> encode_in_range(const Literal& literal) {
  if (const auto* s = std::get_if<int64_t>(&literal)) {
    if (*s < static_cast<int64_t>(std::numeric_limits<T>::min())) return std::nullopt;
    if (*s >= 0 && static_cast<uint64_t>(*s) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
      return std::nullopt;
    return abi::to_bytes(static_cast<T>(*s));
  }
  const auto* u = std::get_if<uint64_t>(&literal);
  if (!u || *u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
  return abi::to_bytes(static_cast<T>(*u));
}

std::optional<Bytes> encode_integer(TypeKind kind, const Literal& literal) {
  switch (kind) {
    case TypeKind::I8:
      return encode_in_range<int8_t>(literal);
    case TypeKind::I16:
      return encode_in_range<int16_t>(literal);
    case TypeKind::I32:
      return encode_in_range<int32_t>(literal);
    case TypeKind::I64:
      return encode_in_range<int64_t>(literal);
    case TypeKind::U8:
      return encode_in_range<uint8_t>(literal);
    case TypeKind::U16:
      return encode_in_range<uint16_t>(literal);
    case TypeKind::U32:
      return encode_in_range<uint32_t>(literal);
    default:
      return encode_in_range<uint64_t>(literal);
  }
}

double float_of(ByteView encoded, TypeKind kind) {
  if (kind == TypeKind::F32 && encoded.size() == 4) {
    float value;
    std::memcpy(&value, encoded.data(), 4);
    return value;
  }
  double value = 0;
  if (encoded.size() == 8) std::memcpy(&value, encoded.data(), 8);
  return value;
}

template <typename T>
bool compare(const T& a, const T& b, CompareOp op) {
  switch (op) {
    case CompareOp::Eq:
      return a == b;
    case CompareOp::Ne:
      return a != b;
    case CompareOp::Lt:
      return a < b;
    case CompareOp::Le:
      return a <= b;
    case CompareOp::Gt:
      return a > b;
    case CompareOp::Ge:
      return a >= b;
  }
  return false;
}

// A float's sort key: its bits, rearranged so that byte order is numeric
// order.
std::string float_key(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, 8);
  bits = (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(bits >> (56 - 8 * i));
  return key;
}

}  // namespace

base::Result<QueryPlan> QueryPlan::bind(const SelectQuery& query, const runtime::Table& table) {
  QueryPlan plan;
  plan.table_ = &table;
  const runtime::RowLayout& layout = table.layout();
  auto find = [&](const std::string& name) -> base::Result<uint32_t> {
    for (uint32_t c = 0; c < layout.column_count(); ++c)
      if (layout.column_name(c) == name) return c;
    return refused(fmt::format("table '{}' has no column '{}'", table.name(), name));
  };
  if (query.columns.empty()) {
    for (uint32_t c = 0; c < layout.column_count(); ++c) plan.columns_.push_back(c);
  } else {
    for (const std::string& name : query.columns) {
      auto c = find(name);
      if (!c) return c.take_error();
      plan.columns_.push_back(*c);
    }
  }
  if (query.where) {
    auto where = plan.bind_condition(*query.where);
    if (!where) return where.take_error();
    plan.where_ = std::move(where).value();
  }
  if (query.order_by) {
    auto c = find(*query.order_by);
    if (!c) return c.take_error();
    TypeKind kind = layout.column_type(*c).kind;
    if (!is_integer(kind) && !is_float(kind) && kind != TypeKind::String && kind != TypeKind::Bool)
      return refused(fmt::format("ORDER BY {}: only integer, float, string and bool columns sort",
                                 *query.order_by));
    plan.order_by_ = *c;
    plan.descending_ = query.descending;
  }
  plan.limit_ = query.limit;
  // The index: an equality first, else a range, among the top-level ANDed
  // comparisons.
  if (plan.where_) {
    std::vector<const Leaf*> leaves;
    if (plan.where_->kind == Condition::Kind::Compare) leaves.push_back(&plan.where_->leaf);
    if (plan.where_->kind == Condition::Kind::And)
      for (const Node& operand : plan.where_->operands)
        if (operand.kind == Condition::Kind::Compare) leaves.push_back(&operand.leaf);
    auto index_of = [&](uint32_t column) -> int32_t {
      if (column == table.def().primary_key) return -1;
      for (size_t i = 0; i < table.def().indexes.size(); ++i)
        if (table.def().indexes[i].column == column) return static_cast<int32_t>(i);
      return -2;
    };
    for (bool equality : {true, false}) {
      for (const Leaf* leaf : leaves) {
        if (plan.index_ != -2 || leaf->numeric || leaf->op == CompareOp::Ne) continue;
        if ((leaf->op == CompareOp::Eq) != equality) continue;
        int32_t index = index_of(leaf->column);
        if (index == -2) continue;
        plan.index_ = index;
        plan.index_column_ = leaf->column;
        if (leaf->op == CompareOp::Eq || leaf->op == CompareOp::Gt || leaf->op == CompareOp::Ge)
          plan.lo_ = leaf->encoded;
        if (leaf->op == CompareOp::Eq || leaf->op == CompareOp::Lt || leaf->op == CompareOp::Le)
          plan.hi_ = leaf->encoded;
      }
    }
  }
  return plan;
}

base::Result<QueryPlan::Node> QueryPlan::bind_condition(const Condition& condition) const {
  Node node;
  node.kind = condition.kind;
  if (condition.kind != Condition::Kind::Compare) {
    for (const Condition& operand : condition.operands) {
      auto bound = bind_condition(operand);
      if (!bound) return bound.take_error();
      node.operands.push_back(std::move(bound).value());
    }
    return node;
  }
  const runtime::RowLayout& layout = table_->layout();
  uint32_t column = 0;
  bool found = false;
  for (uint32_t c = 0; c < layout.column_count() && !found; ++c)
    if (layout.column_name(c) == condition.column) column = c, found = true;
  if (!found)
    return refused(fmt::format("table '{}' has no column '{}'", table_->name(), condition.column));
  const abi::Type& type = layout.column_type(column);
  Leaf& leaf = node.leaf;
  leaf.column = column;
  leaf.op = condition.op;
  const Literal& literal = condition.literal;
  auto mismatch = [&] {
    return refused(fmt::format("{} {} {}: the column is {}, the literal is not", condition.column,
                               to_string(condition.op), literal_text(literal),
                               abi::to_string(type)));
  };
  if (is_float(type.kind)) {
    leaf.numeric = true;
    if (const auto* d = std::get_if<double>(&literal))
      leaf.number = *d;
    else if (const auto* s = std::get_if<int64_t>(&literal))
      leaf.number = static_cast<double>(*s);
    else if (const auto* u = std::get_if<uint64_t>(&literal))
      leaf.number = static_cast<double>(*u);
    else
      return mismatch();
    return node;
  }
  if (is_integer(type.kind)) {
    if (!std::holds_alternative<int64_t>(literal) && !std::holds_alternative<uint64_t>(literal))
      return mismatch();
    auto encoded = encode_integer(type.kind, literal);
    if (!encoded)
      return refused(fmt::format("{} {} {}: the literal is out of the range of {}",
                                 condition.column, to_string(condition.op), literal_text(literal),
                                 abi::to_string(type)));
    leaf.encoded = std::move(*encoded);
  } else if (type.kind == TypeKind::String) {
    const auto* text = std::get_if<std::string>(&literal);
    if (!text) return mismatch();
    leaf.encoded = abi::to_bytes(*text);
  } else if (type.kind == TypeKind::Bool) {
    const auto* flag = std::get_if<bool>(&literal);
    if (!flag) return mismatch();
    leaf.encoded = abi::to_bytes(*flag);
  } else {
    return refused(
        fmt::format("{}: only integer, float, string and bool columns can be compared (it is {})",
                    condition.column, abi::to_string(type)));
  }
  leaf.key = runtime::order_key(leaf.encoded, type);
  return node;
}

bool QueryPlan::evaluate(const Node& node, const std::vector<ByteView>& columns) const {
  switch (node.kind) {
    case Condition::Kind::And:
      return std::all_of(node.operands.begin(), node.operands.end(),
                         [&](const Node& n) { return evaluate(n, columns); });
    case Condition::Kind::Or:
      return std::any_of(node.operands.begin(), node.operands.end(),
                         [&](const Node& n) { return evaluate(n, columns); });
    case Condition::Kind::Compare:
      break;
  }
  const Leaf& leaf = node.leaf;
  const abi::Type& type = table_->layout().column_type(leaf.column);
  if (leaf.numeric) {
    double value = float_of(columns[leaf.column], type.kind);
    return compare(value, leaf.number, leaf.op);
  }
  return compare(runtime::order_key(columns[leaf.column], type), leaf.key, leaf.op);
}

bool QueryPlan::matches(ByteView row) const {
  if (!where_) return true;
  // Reused by every match on this thread (a subscription filter runs once
  // per change): split only clears it.
  thread_local std::vector<ByteView> columns;
  if (!table_->layout().split(row, &columns).empty()) return false;
  return evaluate(*where_, columns);
}

std::string QueryPlan::sort_key(ByteView row) const {
  std::vector<ByteView> columns;
  if (!table_->layout().split(row, &columns).empty()) return {};
  const abi::Type& type = table_->layout().column_type(*order_by_);
  if (is_float(type.kind)) return float_key(float_of(columns[*order_by_], type.kind));
  return runtime::order_key(columns[*order_by_], type);
}

base::Result<std::vector<Bytes>> QueryPlan::run(const runtime::Table& table,
                                                size_t max_rows) const {
  std::vector<Bytes> rows;
  // Without ORDER BY, LIMIT ends the read; with it, every match is sorted.
  uint64_t stop_at = order_by_ ? UINT64_MAX : limit_.value_or(UINT64_MAX);
  bool too_many = false;
  auto take = [&](const Bytes& row) {
    if (rows.size() >= stop_at) return false;
    if (!matches(row)) return true;
    if (rows.size() >= max_rows) {
      too_many = true;
      return false;
    }
    rows.push_back(row);
    return true;
  };
  if (index_ == -2) {
    table.for_each_after(nullptr, [&](const std::string&, const Bytes& row) { return take(row); });
  } else {
    runtime::Table::Cursor cursor;
    std::optional<ByteView> lo, hi;
    if (lo_) lo = ByteView(*lo_);
    if (hi_) hi = ByteView(*hi_);
    std::string problem;
    if (table.scan(index_, lo, hi, &cursor, &problem) != abi::Status::Ok)
      return base::make_error("the index could not be read: " + problem);
    while (const Bytes* row = cursor.next())
      if (!take(*row)) break;
  }
  if (too_many)
    return base::make_error(
        fmt::format("the query matches more than {} rows; narrow it, or add a LIMIT", max_rows),
        base::ErrorCode::InvalidArgument);
  if (order_by_) {
    std::vector<std::pair<std::string, size_t>> keys;
    keys.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) keys.emplace_back(sort_key(rows[i]), i);
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
      return descending_ ? b.first < a.first : a.first < b.first;
    });
    std::vector<Bytes> sorted;
    size_t count = std::min<uint64_t>(rows.size(), limit_.value_or(UINT64_MAX));
    sorted.reserve(count);
    for (size_t i = 0; i < count; ++i) sorted.push_back(std::move(rows[keys[i].second]));
    rows = std::move(sorted);
  }
  return rows;
}

std::string QueryPlan::access_path() const {
  if (index_ == -2) return "full scan";
  return "index scan on " + table_->layout().column_name(index_column_);
}

}  // namespace interstice::query
