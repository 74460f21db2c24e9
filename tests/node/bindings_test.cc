// generate_bindings: the header for a schema declares its types (dependencies
// first), typed local and remote calls, and event names; what C++ cannot
// express is refused with the reason. (That the header compiles and works is
// shown by modules/testkit/bindings_user, built against hello's.)
#include <gtest/gtest.h>

#include "node/bindings.h"

namespace interstice::node {
namespace {

abi::ModuleSchema schema_with(std::vector<abi::TypeDef> types) {
  abi::ModuleSchema s;
  s.name = "shop";
  s.version = {1, 2, 0};
  s.types = std::move(types);
  s.tables.push_back(abi::TableDef{
      "orders", "Order", 0, {}, {}, abi::Visibility::Public, abi::Persistence::Logged});
  s.reducers.push_back(abi::ReducerDef{"order",
                                       {abi::Field{"item", abi::primitive(abi::TypeKind::String)},
                                        abi::Field{"count", abi::primitive(abi::TypeKind::U32)}}});
  return s;
}

TEST(Bindings, TypesCallsAndEventsOfASchema) {
  auto header = generate_bindings(schema_with(
      {abi::TypeDef{"Order",
                    abi::TypeDefKind::Struct,
                    {abi::Field{"id", abi::primitive(abi::TypeKind::U64)},
                     abi::Field{"state", abi::named("State")},
                     abi::Field{"notes", abi::optional_of(abi::vector_of(
                                             abi::primitive(abi::TypeKind::String)))}}},
       abi::TypeDef{"State",
                    abi::TypeDefKind::Enum,
                    {abi::Field{"Open", abi::unit()}, abi::Field{"Shipped", abi::unit()}}}}));
  ASSERT_TRUE(header.ok()) << header.error().message;
  const std::string& h = *header;
  size_t state = h.find("enum class State : uint32_t { Open, Shipped };");
  size_t order = h.find("struct Order {");
  ASSERT_NE(state, std::string::npos) << h;
  ASSERT_NE(order, std::string::npos) << h;
  EXPECT_LT(state, order) << "a type must come after the types it uses";
  EXPECT_NE(h.find("std::optional<std::vector<std::string>> notes{};"), std::string::npos);
  EXPECT_NE(h.find("INTERSTICE_TYPE(Order, id, state, notes)"), std::string::npos);
  EXPECT_NE(h.find("interstice::abi::Status order(const std::string& item, const uint32_t& count)"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("return ctx.call_node(node, kModule, \"order\", callback, item, count);"),
            std::string::npos);
  EXPECT_NE(h.find("#define SHOP_ORDERS_INSERT_ON(node) node \".shop.orders.insert\""),
            std::string::npos);
  EXPECT_NE(h.find("kVersion = \"1.2.0\""), std::string::npos);
}

TEST(Bindings, QueriesAreAskedForTheirValue) {
  auto schema = schema_with({abi::TypeDef{
      "Order", abi::TypeDefKind::Struct, {abi::Field{"id", abi::primitive(abi::TypeKind::U64)}}}});
  abi::ReducerDef count{"open_orders",
                        {abi::Field{"item", abi::primitive(abi::TypeKind::String)}},
                        abi::ReducerKind::Query,
                        {abi::vector_of(abi::named("Order"))}};
  schema.reducers.push_back(count);
  auto header = generate_bindings(schema);
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_NE(header->find("interstice::QueryResult<std::vector<Order>> open_orders(const "
                         "std::string& item) const {\n"
                         "    return ctx.query<std::vector<Order>>(kModule, \"open_orders\", "
                         "item);"),
            std::string::npos)
      << *header;
  // Remotely: asked with a timeout, answered in the callback; never a call.
  EXPECT_NE(header->find("uint64_t open_orders(uint32_t timeout_ms, const std::string& item) "
                         "const {\n"
                         "    return ctx.query_node(node, kModule, \"open_orders\", callback, "
                         "timeout_ms, item);"),
            std::string::npos)
      << *header;
  EXPECT_EQ(header->find("ctx.call_node(node, kModule, \"open_orders\""), std::string::npos);
}

TEST(Bindings, WhatCppCannotExpressIsRefused) {
  auto refused = generate_bindings(schema_with(
      {abi::TypeDef{"Order", abi::TypeDefKind::Struct, {abi::Field{"mixed", abi::named("Mixed")}}},
       abi::TypeDef{"Mixed",
                    abi::TypeDefKind::Enum,
                    {abi::Field{"None", abi::unit()},
                     abi::Field{"Count", abi::primitive(abi::TypeKind::U32)}}}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("enum Mixed mixes payloads"), std::string::npos);
  auto missing = generate_bindings(schema_with(
      {abi::TypeDef{"Order", abi::TypeDefKind::Struct, {abi::Field{"x", abi::named("Gone")}}}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "type Gone is not defined in the schema");
}

}  // namespace
}  // namespace interstice::node
