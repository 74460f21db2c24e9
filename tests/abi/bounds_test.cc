// The decoders' bounds (docs/abi.md, "Bounds"): hostile bytes get a clear
// refusal, never a crash, a hang or an allocation out of proportion to their
// size. Each input here crashed, hung or exhausted memory before the bounds.
#include <gtest/gtest.h>

#include <cstring>

#include "abi/schema_check.h"
#include "abi/serialize.h"
#include "abi/type_match.h"
#include "abi/validate.h"
#include "net/messages.h"

namespace interstice::abi {
namespace {

void put32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}

// The encoding of vector<vector<...<u8>...>> `depth` deep, written byte by
// byte (a Type that deep cannot even be destroyed without deep recursion).
std::vector<uint8_t> nested_type_bytes(int depth) {
  std::vector<uint8_t> out(size_t(depth) * 12 + 12, 0);  // zeros: empty names, kind u8's args
  const uint8_t level[8] = {static_cast<uint8_t>(TypeKind::Vector), 0, 0, 0, 1, 0, 0, 0};
  for (int i = 0; i < depth; ++i) std::memcpy(out.data() + 8 * i, level, 8);  // one argument
  out[8 * size_t(depth)] = static_cast<uint8_t>(TypeKind::U8);
  return out;
}

TEST(DecodeBounds, ATypeNested200000DeepIsRefusedNotACrash) {
  std::string why;
  auto type = from_bytes<Type>(nested_type_bytes(200'000), &why);
  EXPECT_FALSE(type);
  EXPECT_EQ(why, "a type nested deeper than 64");
}

TEST(DecodeBounds, TypesNestUpTo64Deep) {
  // 64 levels in all: 63 vectors around the u8.
  auto deepest = from_bytes<Type>(nested_type_bytes(63));
  ASSERT_TRUE(deepest);
  EXPECT_EQ(to_string(*deepest).size(),
            std::string("u8").size() + 63 * std::string("vector<>").size());
  EXPECT_FALSE(from_bytes<Type>(nested_type_bytes(64)));
}

TEST(DecodeBounds, ASubscribeMessageWithADeepTypeIsRefused) {
  // As the 2.4 MB frame that killed a node before any handshake.
  std::vector<uint8_t> bytes;
  put32(bytes, 6);                  // Message alternative 6: Subscribe
  bytes.insert(bytes.end(), 8, 0);  // subscription id
  for (int i = 0; i < 3; ++i) put32(bytes, 1), bytes.push_back('x');  // module, table, row type
  put32(bytes, 1);                                                    // one TypeDef
  put32(bytes, 1), bytes.push_back('T');                              // its name
  put32(bytes, 0);                                                    // a struct
  put32(bytes, 1);                                                    // one field
  put32(bytes, 1), bytes.push_back('f');
  auto type = nested_type_bytes(200'000);
  bytes.insert(bytes.end(), type.begin(), type.end());
  std::string why;
  EXPECT_FALSE(from_bytes<net::Message>(bytes, &why));
  EXPECT_EQ(why, "a type nested deeper than 64");
}

TEST(DecodeBounds, ASchemaWithADeepTypeIsRefused) {
  ModuleSchema schema;
  schema.name = "deep";
  schema.reducers.push_back(ReducerDef{"r", {Field{"x", primitive(TypeKind::U8)}}});
  std::vector<uint8_t> bytes = to_bytes(schema);
  // Replace the parameter's type (the u8: its 12 bytes before the reducer's
  // kind and empty result, and the empty subscriptions, authorities,
  // dependencies, nodes and migrations) by a deep one.
  constexpr size_t kTail = 4 + 4 + 20;
  std::vector<uint8_t> tail(bytes.end() - kTail, bytes.end());
  bytes.resize(bytes.size() - kTail - 12);
  auto type = nested_type_bytes(100'000);
  bytes.insert(bytes.end(), type.begin(), type.end());
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  std::string why;
  EXPECT_FALSE(from_bytes<ModuleSchema>(bytes, &why));
  EXPECT_EQ(why, "a type nested deeper than 64");
  // The splice itself is right: with a shallow type the schema decodes.
  bytes.resize(bytes.size() - kTail - type.size());
  auto shallow = nested_type_bytes(3);
  bytes.insert(bytes.end(), shallow.begin(), shallow.end());
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  EXPECT_TRUE(from_bytes<ModuleSchema>(bytes, &why)) << why;
}

TEST(DecodeBounds, IllFormedTypesAreRefused) {
  // A vector without its element type: to_string and validate used to throw.
  std::vector<uint8_t> bytes;
  put32(bytes, static_cast<uint32_t>(TypeKind::Vector));
  put32(bytes, 0);
  put32(bytes, 0);
  std::string why;
  EXPECT_FALSE(from_bytes<Type>(bytes, &why));
  EXPECT_EQ(why, "an ill-formed type (wrong arguments or name for its kind)");
  EXPECT_FALSE(from_bytes<Type>(to_bytes(Type{TypeKind::Named, {}, ""})));
  EXPECT_FALSE(from_bytes<Type>(to_bytes(Type{TypeKind::U32, {}, "name"})));
  EXPECT_TRUE(from_bytes<Type>(to_bytes(named("Ok"))));
}

TEST(DecodeBounds, AVectorLongerThanItsInputIsRefusedBeforeAnyWork) {
  // 4 bytes claiming 4 billion empty tuples: this used to loop (and
  // allocate a byte per element) 4 billion times.
  std::vector<uint8_t> bytes;
  put32(bytes, 0xffffffff);
  std::string why;
  EXPECT_FALSE(from_bytes<std::vector<std::tuple<>>>(bytes, &why));
  EXPECT_EQ(why, "a vector's length exceeds the size of its input");
  // Elements of any size: the count is checked before reserving.
  EXPECT_FALSE(from_bytes<std::vector<Type>>(bytes, &why));
  EXPECT_EQ(why, "a vector's length exceeds the size of its input");
  // Validation too (it used to run through all of them).
  std::vector<TypeDef> none;
  EXPECT_EQ(validate(bytes, vector_of(unit()), TypeResolver(none)),
            "a vector's length exceeds the size of its input");
  // A count the input can hold is fine.
  std::vector<uint8_t> two;
  put32(two, 2);
  EXPECT_TRUE(from_bytes<std::vector<std::tuple<>>>(two));
  EXPECT_EQ(validate(two, vector_of(unit()), TypeResolver(none)), "");
}

TEST(DecodeBounds, NestedVectorsOfNothingCannotMultiplyWork) {
  // vector<vector<()>>: 1000 inner vectors, each claiming as many elements
  // as the whole input has bytes. The counts of one input share one budget.
  std::vector<uint8_t> bytes;
  put32(bytes, 1000);
  for (int i = 0; i < 1000; ++i) put32(bytes, 4004);
  std::vector<TypeDef> none;
  EXPECT_EQ(validate(bytes, vector_of(vector_of(unit())), TypeResolver(none)),
            "a vector's length exceeds the size of its input");
}

// L0 is an empty struct; each Ln+1 holds two Ln. A value of L60 encodes as
// nothing, and walking it visits 2^61 structs.
std::vector<TypeDef> doubling_structs(int levels) {
  std::vector<TypeDef> defs{TypeDef{"L0", TypeDefKind::Struct, {}}};
  for (int i = 1; i <= levels; ++i) {
    Type below = named("L" + std::to_string(i - 1));
    defs.push_back(TypeDef{
        "L" + std::to_string(i), TypeDefKind::Struct, {Field{"a", below}, Field{"b", below}}});
  }
  return defs;
}

TEST(DecodeBounds, ValidatingAValueOfNothingCannotTakeExponentialTime) {
  std::vector<TypeDef> defs = doubling_structs(60);
  EXPECT_EQ(validate({}, named("L60"), TypeResolver(defs)), "a value too complex for its size");
  // Small ones are fine: L10 is 2047 structs.
  EXPECT_EQ(validate({}, named("L10"), TypeResolver(defs)), "");
}

TEST(DecodeBounds, ComparingTypesCannotTakeExponentialTime) {
  std::vector<TypeDef> defs = doubling_structs(60);
  TypeResolver types(defs);
  std::string why = type_mismatch(named("L60"), types, named("L60"), types);
  EXPECT_TRUE(why.ends_with(": too complex to compare")) << why;
  EXPECT_EQ(type_mismatch(named("L9"), types, named("L9"), types), "");  // 1023 structs
}

TEST(DecodeBounds, CheckSchemaReportsTypesNestedTooDeep) {
  ModuleSchema schema;
  schema.name = "deep";
  Type t = primitive(TypeKind::U8);
  for (int i = 0; i < 64; ++i) t = optional_of(std::move(t));  // 65 levels
  schema.reducers.push_back(ReducerDef{"r", {Field{"x", t}}});
  auto problems = check_schema(schema);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "reducer r: parameter x nests deeper than 64");
}

TEST(DecodeBounds, CheckSchemaReportsADuplicateTableOnce) {
  ModuleSchema schema;
  schema.name = "dup";
  schema.types.push_back(
      TypeDef{"Row", TypeDefKind::Struct, {Field{"id", primitive(TypeKind::U32)}}});
  schema.tables.push_back(TableDef{"t", "Row"});
  schema.tables.push_back(TableDef{"t", "Row"});
  auto problems = check_schema(schema);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "table t is declared twice");
}

}  // namespace
}  // namespace interstice::abi
