// generate_ts_bindings: the TypeScript module for a schema declares its
// types, the types as data, typed reducer methods for what clients may call
// and typed tables; names that TypeScript cannot take are refused with the
// reason. (That the module compiles and works against a node is shown by
// clients/typescript/test/bindings.test.ts, built from testkit's.)
#include <gtest/gtest.h>

#include "node/bindings_ts.h"

namespace interstice::node {
namespace {

abi::Type prim(abi::TypeKind kind) {
  return abi::primitive(kind);
}

abi::ModuleSchema shop() {
  abi::ModuleSchema s;
  s.name = "shop";
  s.version = {1, 2, 0};
  s.types = {
      abi::TypeDef{
          "Order",
          abi::TypeDefKind::Struct,
          {abi::Field{"id", prim(abi::TypeKind::U64)}, abi::Field{"state", abi::named("State")},
           abi::Field{"notes", abi::optional_of(abi::vector_of(prim(abi::TypeKind::String)))},
           abi::Field{"tags", abi::vector_of(abi::optional_of(prim(abi::TypeKind::I32)))},
           abi::Field{"blob", prim(abi::TypeKind::Bytes)},
           abi::Field{"pair", abi::Type{abi::TypeKind::Tuple,
                                        {prim(abi::TypeKind::F64), prim(abi::TypeKind::Bool)},
                                        {}}}}},
      abi::TypeDef{
          "State",
          abi::TypeDefKind::Enum,
          {abi::Field{"Open", abi::unit()}, abi::Field{"Held", prim(abi::TypeKind::String)}}}};
  s.tables.push_back(abi::TableDef{
      "orders", "Order", 0, {}, {}, abi::Visibility::Public, abi::Persistence::Logged});
  s.tables.push_back(abi::TableDef{
      "audit", "Order", 0, {}, {}, abi::Visibility::Private, abi::Persistence::Logged});
  s.reducers = {abi::ReducerDef{"order",
                                {abi::Field{"item", prim(abi::TypeKind::String)},
                                 abi::Field{"count", prim(abi::TypeKind::U32)},
                                 abi::Field{"customer", prim(abi::TypeKind::I64)}}},
                abi::ReducerDef{"on_order", {abi::Field{"row", abi::named("Order")}}},
                abi::ReducerDef{"internal_step", {}, abi::ReducerKind::Internal},
                abi::ReducerDef{"on_result",
                                {abi::Field{"call_id", prim(abi::TypeKind::U64)},
                                 abi::Field{"ok", prim(abi::TypeKind::Bool)},
                                 abi::Field{"error", prim(abi::TypeKind::String)}},
                                abi::ReducerKind::Callback},
                abi::ReducerDef{"set_state",
                                {abi::Field{"id", prim(abi::TypeKind::U64)},
                                 abi::Field{"state", abi::named("State")}}}};
  s.subscriptions.push_back(abi::SubscriptionDef{"shop.orders.insert", "on_order"});
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(TsBindings, TypesReducersAndTablesOfASchema) {
  auto generated = generate_ts_bindings(shop());
  ASSERT_TRUE(generated.ok()) << generated.error().message;
  const std::string& ts = *generated;
  EXPECT_TRUE(contains(ts, "import * as $sdk from \"@interstice/client\";")) << ts;
  EXPECT_TRUE(contains(ts, "export const MODULE = \"shop\";\nexport const VERSION = \"1.2.0\";"));
  EXPECT_TRUE(contains(ts,
                       "export interface Order {\n"
                       "  id: bigint;\n"
                       "  state: State;\n"
                       "  notes: string[] | null;\n"
                       "  tags: (number | null)[];\n"
                       "  blob: Uint8Array;\n"
                       "  pair: [number, boolean];\n"
                       "}\n"))
      << ts;
  EXPECT_TRUE(contains(ts, "export type State = \"Open\" | { Held: string };")) << ts;
  EXPECT_TRUE(contains(
      ts,
      "  Order: { struct: [[\"id\", \"u64\"], [\"state\", { named: \"State\" }], [\"notes\", { "
      "optional: { vector: \"string\" } }], [\"tags\", { vector: { optional: \"i32\" } }], "
      "[\"blob\", \"bytes\"], [\"pair\", { tuple: [\"f64\", \"bool\"] }]] },\n"))
      << ts;
  EXPECT_TRUE(contains(ts, "  State: { enum: [[\"Open\", null], [\"Held\", \"string\"]] },\n"));
  // 64-bit parameters take a bigint or a number.
  EXPECT_TRUE(contains(ts,
                       "  order(item: string, count: number, customer: bigint | number): "
                       "Promise<void> {\n"
                       "    return $sdk.callReducer(this.#client, MODULE, \"order\", TYPES, "
                       "[\"string\", \"u32\", \"i64\"], [item, count, customer]);\n"))
      << ts;
  EXPECT_TRUE(contains(ts, "  set_state(id: bigint | number, state: State): Promise<void>"));
  // Handlers, callbacks and internal reducers are not the clients' to call.
  EXPECT_FALSE(contains(ts, "on_order(")) << ts;
  EXPECT_FALSE(contains(ts, "on_result(")) << ts;
  EXPECT_FALSE(contains(ts, "internal_step(")) << ts;
  EXPECT_TRUE(contains(ts, "  readonly orders: $sdk.TableHandle<Order>;\n"));
  EXPECT_TRUE(contains(ts,
                       "    this.orders = new $sdk.TableHandle<Order>(client, MODULE, \"orders\", "
                       "TYPES, \"Order\");"));
  EXPECT_TRUE(
      contains(ts,
               "/** Rows of Order, primary key id; private: only the operator key reads it. */\n"
               "  readonly audit:"))
      << ts;
  EXPECT_TRUE(contains(ts,
                       "export function bind(client: $sdk.Client): { reducers: Reducers; "
                       "queries: Queries; tables: Tables }"))
      << ts;
}

TEST(TsBindings, QueriesResolveWithTheirTypedValue) {
  abi::ModuleSchema schema = shop();
  schema.reducers.push_back(abi::ReducerDef{"open_orders",
                                            {abi::Field{"item", prim(abi::TypeKind::String)}},
                                            abi::ReducerKind::Query,
                                            {abi::vector_of(abi::named("Order"))}});
  auto generated = generate_ts_bindings(schema);
  ASSERT_TRUE(generated.ok()) << generated.error().message;
  const std::string& ts = *generated;
  EXPECT_TRUE(contains(ts,
                       "  open_orders(item: string): Promise<Order[]> {\n"
                       "    return $sdk.askQuery(this.#client, MODULE, \"open_orders\", TYPES, "
                       "[\"string\"], { vector: { named: \"Order\" } }, [item]) as "
                       "Promise<Order[]>;\n"))
      << ts;
  // A query is not a reducer to call.
  EXPECT_FALSE(contains(ts, "callReducer(this.#client, MODULE, \"open_orders\"")) << ts;
  // A query named like a reducer is fine (another class); two queries of one name are not.
  schema.reducers.push_back(schema.reducers.back());
  EXPECT_FALSE(generate_ts_bindings(schema).ok());
}

// The first problem generate_ts_bindings reports for `schema`, or "" if none.
std::string refusal(const abi::ModuleSchema& schema) {
  auto generated = generate_ts_bindings(schema);
  return generated.ok() ? "" : generated.error().message;
}

TEST(TsBindings, NamesTypeScriptCannotTakeAreRefused) {
  auto with_type_name = [](std::string name) {
    abi::ModuleSchema s = shop();
    s.types[1].name = name;
    s.types[0].fields[1].type = abi::named(name);
    s.reducers[4].params[1].type = abi::named(name);
    return s;
  };
  EXPECT_EQ(refusal(with_type_name("class")),
            "the type name 'class' is a reserved word in TypeScript");
  EXPECT_EQ(refusal(with_type_name("string")),
            "the type name 'string' is a reserved word in TypeScript");
  EXPECT_EQ(refusal(with_type_name("Tables")),
            "the type name 'Tables' is taken by the TypeScript bindings");
  EXPECT_EQ(refusal(with_type_name("Promise")),
            "the type name 'Promise' is taken by the TypeScript bindings");
  EXPECT_EQ(refusal(with_type_name("x\"; process.exit(1); //")),
            "the type name 'x\"; process.exit(1); //' is not an identifier");

  abi::ModuleSchema param = shop();
  param.reducers[0].params[0].name = "arguments";
  EXPECT_EQ(refusal(param), "the parameter name 'arguments' is a reserved word in TypeScript");
  param.reducers[0].params[0].name = "TYPES";  // would hide the module's TYPES in the method
  EXPECT_EQ(refusal(param), "the parameter name 'TYPES' is taken by the TypeScript bindings");
  param.reducers[0].params[0].name = "count";
  EXPECT_EQ(refusal(param), "the parameter name 'count' is used twice");

  abi::ModuleSchema field = shop();
  field.types[0].fields[2].name = "id";
  EXPECT_EQ(refusal(field), "Order has two fields named 'id'");
  // A field may be a reserved word: it is a property name.
  field.types[0].fields[2].name = "delete";
  EXPECT_EQ(refusal(field), "");

  abi::ModuleSchema twice = shop();
  twice.types.push_back(twice.types[1]);
  EXPECT_EQ(refusal(twice), "the type name 'State' is used twice");

  abi::ModuleSchema ctor = shop();
  ctor.reducers[0].name = "constructor";
  EXPECT_EQ(refusal(ctor), "a reducer cannot be named 'constructor' in TypeScript bindings");
  // Not refused where it is not written: a handler's name.
  abi::ModuleSchema handler = shop();
  handler.reducers[1].name = "constructor";
  handler.subscriptions[0].reducer = "constructor";
  EXPECT_EQ(refusal(handler), "");
}

TEST(TsBindings, TypesMustBeDefinedAndBounded) {
  abi::ModuleSchema missing = shop();
  missing.types[0].fields[1].type = abi::named("Gone");
  EXPECT_EQ(refusal(missing), "type Gone is not defined in the schema");
  abi::ModuleSchema param = shop();
  param.reducers[0].params[0].type = abi::vector_of(abi::named("Gone"));
  EXPECT_EQ(refusal(param), "type Gone is not defined in the schema");
  abi::ModuleSchema table = shop();
  table.tables[0].row_type = "State";
  EXPECT_EQ(refusal(table), "table orders: row type State is not a struct of the schema");

  // A chain of 100 named types, each holding the next.
  abi::ModuleSchema chain = shop();
  for (int i = 0; i < 100; ++i)
    chain.types.push_back(
        abi::TypeDef{"T" + std::to_string(i),
                     abi::TypeDefKind::Struct,
                     {abi::Field{"next", abi::named("T" + std::to_string(i + 1))}}});
  chain.types.push_back(abi::TypeDef{"T100", abi::TypeDefKind::Struct, {}});
  EXPECT_NE(refusal(chain).find("nests too deeply"), std::string::npos) << refusal(chain);
  // An expression nested 100 deep.
  abi::ModuleSchema deep = shop();
  abi::Type t = prim(abi::TypeKind::U8);
  for (int i = 0; i < 100; ++i) t = abi::vector_of(t);
  deep.reducers[0].params[0].type = t;
  EXPECT_EQ(refusal(deep), "a type expression nests deeper than 64");
  // A recursive type is fine in TypeScript (optional<Node> ends it).
  abi::ModuleSchema recursive = shop();
  recursive.types.push_back(
      abi::TypeDef{"Node",
                   abi::TypeDefKind::Struct,
                   {abi::Field{"next", abi::optional_of(abi::named("Node"))}}});
  auto generated = generate_ts_bindings(recursive);
  ASSERT_TRUE(generated.ok()) << generated.error().message;
  EXPECT_TRUE(contains(*generated, "export interface Node {\n  next: Node | null;\n}"));
}

}  // namespace
}  // namespace interstice::node
