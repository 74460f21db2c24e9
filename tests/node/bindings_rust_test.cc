// generate_rust_bindings: the Rust module for a schema declares its types as
// #[interstice_type] structs and enums, typed local and remote calls and
// queries, and event names; keywords become raw identifiers, and what Rust
// cannot take is refused with the reason. (That the module compiles and
// works is shown by modules/rust/bindings_user, built against hello's.)
#include "node/bindings_rust.h"

#include <gtest/gtest.h>

namespace interstice::node {
namespace {

using abi::TypeKind;

abi::ModuleSchema shop() {
  abi::ModuleSchema s;
  s.name = "shop";
  s.version = {1, 2, 0};
  s.types = {
      abi::TypeDef{
          "Order",
          abi::TypeDefKind::Struct,
          {abi::Field{"id", abi::primitive(TypeKind::U64)}, abi::Field{"type", abi::named("State")},
           abi::Field{"notes", abi::optional_of(abi::vector_of(abi::primitive(TypeKind::String)))},
           abi::Field{"pair",
                      abi::Type{TypeKind::Tuple,
                                {abi::primitive(TypeKind::F64), abi::primitive(TypeKind::Bool)},
                                ""}},
           abi::Field{"blob", abi::primitive(TypeKind::Bytes)}}},
      abi::TypeDef{
          "State",
          abi::TypeDefKind::Enum,
          {abi::Field{"Open", abi::unit()}, abi::Field{"Held", abi::primitive(TypeKind::String)}}}};
  s.tables.push_back(abi::TableDef{
      "orders", "Order", 0, {}, {}, abi::Visibility::Public, abi::Persistence::Logged});
  s.reducers = {
      abi::ReducerDef{"order",
                      {abi::Field{"item", abi::primitive(TypeKind::String)},
                       abi::Field{"count", abi::primitive(TypeKind::U32)}}},
      abi::ReducerDef{
          "cancel", {abi::Field{"id", abi::primitive(TypeKind::U64)}}, abi::ReducerKind::Internal},
      abi::ReducerDef{
          "open_orders", {}, abi::ReducerKind::Query, {abi::vector_of(abi::named("Order"))}},
      abi::ReducerDef{"on_order", {abi::Field{"row", abi::named("Order")}}},
      abi::ReducerDef{"done",
                      {abi::Field{"call_id", abi::primitive(TypeKind::U64)},
                       abi::Field{"ok", abi::primitive(TypeKind::Bool)},
                       abi::Field{"error", abi::primitive(TypeKind::String)}},
                      abi::ReducerKind::Callback}};
  s.subscriptions = {abi::SubscriptionDef{"shop.orders.insert", "on_order"}};
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RustBindings, TypesCallsQueriesAndEventsOfASchema) {
  auto generated = generate_rust_bindings(shop());
  ASSERT_TRUE(generated.ok()) << generated.error().message;
  const std::string& rs = *generated;
  EXPECT_TRUE(contains(rs, "pub const MODULE: &str = \"shop\";\n")) << rs;
  EXPECT_TRUE(
      contains(rs,
               "pub struct Order {\n"
               "    pub id: u64,\n"
               "    pub r#type: State,\n"
               "    pub notes: ::core::option::Option<::std::vec::Vec<::std::string::String>>,\n"
               "    pub pair: (f64, bool),\n"
               "    pub blob: ::interstice_sdk::Bytes,\n"
               "}\n"))
      << rs;
  EXPECT_TRUE(contains(rs, "pub enum State {\n    Open,\n    Held(::std::string::String),\n}\n"))
      << rs;
  EXPECT_TRUE(contains(rs,
                       "    pub fn order(&self, item: ::std::string::String, count: u32) -> "
                       "::interstice_sdk::Status {\n"
                       "        self.ctx.call(MODULE, \"order\", (item, count))\n"))
      << rs;
  // One argument is a one-element tuple.
  EXPECT_TRUE(contains(rs, "self.ctx.call(MODULE, \"cancel\", (id,))")) << rs;
  EXPECT_TRUE(
      contains(rs, "self.ctx.query::<::std::vec::Vec<Order>, _>(MODULE, \"open_orders\", ())"))
      << rs;
  EXPECT_TRUE(contains(rs,
                       "pub fn open_orders(&self, timeout_ms: u32) -> u64 {\n"
                       "        self.ctx.query_node(self.node, MODULE, \"open_orders\", "
                       "self.callback, timeout_ms, ())"))
      << rs;
  // Internal reducers are not called remotely; handlers and callbacks not at all.
  EXPECT_FALSE(contains(rs, "call_node(self.node, MODULE, \"cancel\"")) << rs;
  EXPECT_FALSE(contains(rs, "MODULE, \"on_order\"")) << rs;
  EXPECT_FALSE(contains(rs, "MODULE, \"done\"")) << rs;
  EXPECT_TRUE(contains(rs, "pub const ORDERS_INSERT: &str = \"shop.orders.insert\";")) << rs;
}

TEST(RustBindings, WhatRustCannotTakeIsRefused) {
  auto with_field = [](std::string name) {
    abi::ModuleSchema s = shop();
    s.types[0].fields[0].name = std::move(name);
    return generate_rust_bindings(s);
  };
  for (const char* bad : {"self", "Self", "crate", "super", "_", "a-b", "1x", "x y"}) {
    auto refused = with_field(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_TRUE(contains(refused.error().message, "not a Rust identifier"))
        << refused.error().message;
  }
  EXPECT_TRUE(with_field("match").ok());  // a raw identifier
  abi::ModuleSchema undefined = shop();
  undefined.types[0].fields[1].type = abi::named("Nowhere");
  EXPECT_FALSE(generate_rust_bindings(undefined).ok());
  abi::ModuleSchema deep = shop();
  abi::Type nested = abi::primitive(TypeKind::U8);
  for (int i = 0; i < 100; ++i) nested = abi::vector_of(nested);
  deep.types[0].fields[0].type = nested;
  auto refused = generate_rust_bindings(deep);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "deeper than 64")) << refused.error().message;
}

}  // namespace
}  // namespace interstice::node
