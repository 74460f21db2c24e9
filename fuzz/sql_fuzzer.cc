// libFuzzer target: the SQL text a client sends (query/sql.h), parsed,
// bound to a small table of every comparable column type, and run. Whatever
// the text, parsing and binding either succeed or refuse with a message, and
// a plan returns only rows that match it, at most LIMIT of them. Its seeds
// (fuzz/seeds/sql_fuzzer) are queries written by hand.
#include <memory>
#include <string_view>
#include <tuple>

#include "abi/serialize.h"
#include "fuzz/fuzz_support.h"
#include "query/plan.h"
#include "query/sql.h"

using namespace interstice;

namespace {

struct Fixture {
  abi::ModuleSchema schema;
  std::unique_ptr<runtime::Table> table;
  Fixture() {
    using abi::TypeKind;
    schema.types.push_back(abi::TypeDef{"Row",
                                        abi::TypeDefKind::Struct,
                                        {{"id", abi::primitive(TypeKind::U64)},
                                         {"name", abi::primitive(TypeKind::String)},
                                         {"score", abi::primitive(TypeKind::I8)},
                                         {"ratio", abi::primitive(TypeKind::F32)},
                                         {"ok", abi::primitive(TypeKind::Bool)}}});
    abi::TableDef def;
    def.name = "t";
    def.row_type = "Row";
    def.indexes.push_back(abi::IndexDef{"by_score", 2, false});
    schema.tables.push_back(def);
    table = std::make_unique<runtime::Table>(schema.tables[0], schema);
    for (uint64_t id = 1; id <= 20; ++id) {
      auto row = std::make_tuple(id, std::string(1, static_cast<char>('a' + id % 5)),
                                 static_cast<int8_t>(static_cast<int>(id % 9) - 4),
                                 static_cast<float>(id) / 3, id % 2 == 0);
      int64_t assigned;
      std::string pk, problem;
      table->insert(abi::to_bytes(row), &assigned, &pk, &problem);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  auto query = query::parse_sql(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!query) {
    if (query.error().message.empty()) fuzz::finding("a refusal without a message");
    return 0;
  }
  auto plan = query::QueryPlan::bind(*query, *fixture.table);
  if (!plan) return 0;
  auto rows = plan->run(*fixture.table, 10);
  if (!rows) return 0;
  if (query->limit && rows->size() > *query->limit) fuzz::finding("more rows than LIMIT");
  for (const auto& row : *rows)
    if (!plan->matches(row)) fuzz::finding("a returned row does not match");
  return 0;
}
