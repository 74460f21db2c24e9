#include "node/table_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "query/plan.h"

namespace interstice::node {

// A private table (abi::TableDef::visibility) is read by the operator only.
static base::Result<void> check_visible(const runtime::Table& t, const std::string& module,
                                        bool as_operator) {
  if (t.def().visibility == abi::Visibility::Public || as_operator) return {};
  return base::make_error(fmt::format("table '{}.{}' is private: only the operator may read it "
                                      "(send the operator key as Authorization: Bearer KEY; "
                                      "interstice query --operator-key DATA_DIR/operator.key)",
                                      module, t.name()),
                          base::ErrorCode::Forbidden);
}

static base::Error no_table(const std::string& module, const std::string& table) {
  return base::make_error(fmt::format("module '{}' has no table '{}'", module, table),
                          base::ErrorCode::NotFound);
}

base::Result<Rows> read_all_rows(runtime::Runtime& runtime, const std::string& module,
                                 const std::string& table) {
  const runtime::Table* t = runtime.table(module, table);
  if (!t) return no_table(module, table);
  Rows rows{{}, t->def().row_type, runtime.schema(module)->types};
  t->for_each([&](const runtime::Bytes& row) { rows.rows.push_back(row); });
  return rows;
}

base::Result<TablePage> read_page(runtime::Runtime& runtime, const std::string& module,
                                  const std::string& table, const std::optional<std::string>& after,
                                  size_t max_rows, size_t max_bytes, const Reader& reader) {
  const runtime::Table* t = runtime.table(module, table);
  if (!t) return no_table(module, table);
  if (auto hidden = check_visible(*t, module, reader.is_operator); !hidden)
    return hidden.take_error();
  auto view = RowVisibility::bind(*t, reader);
  if (!view) return view.take_error();
  TablePage page{Rows{{}, t->def().row_type, runtime.schema(module)->types}, std::nullopt};
  std::vector<runtime::Bytes>& rows = page.rows.rows;
  size_t bytes = 0;
  const std::string* last_key = nullptr;
  t->for_each_after(after ? &*after : nullptr,
                    [&](const std::string& key, const runtime::Bytes& row) {
                      if (!rows.empty() && (rows.size() >= max_rows || bytes >= max_bytes)) {
                        page.next = *last_key;  // this row starts the next page
                        return false;
                      }
                      if (!view->sees(row)) return true;
                      rows.push_back(row);
                      bytes += row.size();
                      last_key = &key;
                      return true;
                    });
  return page;
}

base::Result<SqlAnswer> run_sql(runtime::Runtime& runtime, const query::SelectQuery& query,
                                size_t max_rows, const Reader& reader) {
  const runtime::Table* t = runtime.table(query.module, query.table);
  if (!t) return no_table(query.module, query.table);
  if (auto hidden = check_visible(*t, query.module, reader.is_operator); !hidden)
    return hidden.take_error();
  query::SelectQuery narrowed = query;
  if (auto r = narrow_to_view(&narrowed, *t, reader); !r) return r.take_error();
  auto plan = query::QueryPlan::bind(narrowed, *t);
  if (!plan) return plan.take_error();
  auto rows = plan->run(*t, max_rows);
  if (!rows) return rows.take_error();
  SqlAnswer answer{
      Rows{std::move(rows).value(), t->def().row_type, runtime.schema(query.module)->types}, {}};
  for (uint32_t column : plan->columns()) answer.columns.push_back(t->layout().column_name(column));
  return answer;
}

}  // namespace interstice::node
