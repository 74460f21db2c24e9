#include "node/json_api.h"

#include <fmt/format.h>

#include "abi/type.h"
#include "node/json_codec.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

base::Result<std::vector<uint8_t>> encode_call_json(Node& node, const std::string& module,
                                                    const std::string& reducer, const json& args) {
  auto schema = node.schema(module);
  if (!schema) return schema.take_error();
  const abi::ReducerDef* def = (*schema)->find_reducer(reducer);
  if (!def)
    return base::make_error(fmt::format("module '{}' has no reducer '{}'", module, reducer),
                            base::ErrorCode::NotFound);
  if (std::string why; runtime::Runtime::check_access(**schema, *def, runtime::CallOrigin::Outside,
                                                      &why) != abi::Status::Ok)
    return base::make_error(std::move(why), base::ErrorCode::Forbidden);
  abi::Type params = def->params_type();
  auto bytes = json_to_bytes(args, params, abi::TypeResolver((*schema)->types));
  if (!bytes)
    return base::make_error(fmt::format("bad arguments for {}.{}{}: {}", module, reducer,
                                        abi::to_string(params), bytes.error().message),
                            base::ErrorCode::InvalidArgument);
  return std::move(bytes).value();
}

base::Result<void> call_json(Node& node, const std::string& module, const std::string& reducer,
                             const json& args) {
  auto bytes = encode_call_json(node, module, reducer, args);
  if (!bytes) return bytes.take_error();
  return node.call(module, reducer, *bytes);
}

base::Result<json> query_json(Node& node, const std::string& module, const std::string& table) {
  auto rows = node.query(module, table);
  if (!rows) return rows.take_error();
  abi::TypeResolver resolver(rows->types);
  abi::Type row_type = abi::named(rows->row_type);
  json out = json::array();
  for (const runtime::Bytes& row : rows->rows)
    out.push_back(bytes_to_json(row, row_type, resolver));
  return out;
}

std::string rows_to_json_text(const Node::Rows& rows) {
  abi::TypeResolver resolver(rows.types);
  abi::Type row_type = abi::named(rows.row_type);
  std::string text = "[";
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    if (i) text += ',';
    text += bytes_to_json(rows.rows[i], row_type, resolver).dump();
  }
  return text + ']';
}

std::string sql_to_json_text(const Node::SqlAnswer& answer) {
  abi::TypeResolver resolver(answer.rows.types);
  abi::Type row_type = abi::named(answer.rows.row_type);
  std::string text = "[";
  for (size_t i = 0; i < answer.rows.rows.size(); ++i) {
    json whole = bytes_to_json(answer.rows.rows[i], row_type, resolver);
    json row = json::object();
    for (const std::string& column : answer.columns) row[column] = std::move(whole[column]);
    if (i) text += ',';
    text += row.dump();
  }
  return text + ']';
}

json modules_to_json(const std::vector<Node::ModuleInfo>& modules) {
  json out = json::array();
  for (const Node::ModuleInfo& m : modules) {
    const abi::ModuleSchema& s = *m.schema;
    json reducers = json::array();
    for (const abi::ReducerDef& r : s.reducers) {
      json params = json::array();
      for (const abi::Field& p : r.params)
        params.push_back({{"name", p.name}, {"type", abi::to_string(p.type)}});
      reducers.push_back({{"name", r.name}, {"params", params}});
    }
    json tables = json::array();
    for (size_t i = 0; i < s.tables.size(); ++i)
      tables.push_back({{"name", s.tables[i].name},
                        {"row_type", s.tables[i].row_type},
                        {"rows", m.table_rows.at(i)}});
    out.push_back({{"name", s.name},
                   {"version", s.version.to_string()},
                   {"visibility", s.visibility == abi::Visibility::Public ? "public" : "private"},
                   {"executor", m.executor},
                   {"tables", tables},
                   {"reducers", reducers}});
  }
  return out;
}

json publish_plan_to_json(const runtime::PublishPlan& plan) {
  json tables = json::array();
  for (const runtime::TablePlan& t : plan.tables) {
    json table{{"name", t.table},
               {"change", to_string(t.change)},
               {"rows", t.rows},
               {"added_indexes", t.added_indexes},
               {"dropped_indexes", t.dropped_indexes},
               {"added_columns", t.added_columns}};
    if (!t.migration.empty()) table["migration"] = t.migration;
    if (!t.problem.empty()) table["problem"] = t.problem;
    tables.push_back(std::move(table));
  }
  return json{{"module", plan.module},
              {"version", plan.version},
              {"replaces", plan.previous_version.empty() ? json() : json(plan.previous_version)},
              {"tables", tables},
              {"refused", plan.refusal.empty() ? json() : json(plan.refusal)}};
}

json authorities_to_json(const std::vector<Node::AuthorityInfo>& authorities) {
  json out = json::array();
  for (const Node::AuthorityInfo& a : authorities)
    out.push_back({{"name", a.name},
                   {"granted", a.granted},
                   {"holder", a.holder.empty() ? json() : json(a.holder)}});
  return out;
}

}  // namespace interstice::node
