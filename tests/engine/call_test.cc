// Calling exports: the generic and typed paths, argument checking, globals,
// memory, and fuel accounting per call.
#include <gtest/gtest.h>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

constexpr std::string_view kArith = R"((module
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (global (export "constant") i64 (i64.const -5))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mix") (param i64 f32 f64) (result f64)
    local.get 0 f64.convert_i64_s local.get 1 f64.promote_f32 f64.add local.get 2 f64.add)
  (func (export "bump") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "nothing"))
  (func (export "loop") (param i32) (result i32) (local i32)
    (block (loop
      local.get 0 i32.eqz br_if 1
      local.get 0 i32.const 1 i32.sub local.set 0
      local.get 1 i32.const 1 i32.add local.set 1
      br 0))
    local.get 1))
)";

TEST(Call, GenericPathReturnsResults) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  std::vector<Value> args{Value::i32(2), Value::i32(40)};
  auto result = instance->call("add", args);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ(result->at(0), Value::i32(42));

  std::vector<Value> mixed{Value::i64(1), Value::f32(0.5f), Value::f64(2.25)};
  auto mix = instance->call("mix", mixed);
  ASSERT_TRUE(mix.ok()) << mix.error().message;
  EXPECT_EQ(mix->at(0), Value::f64(3.75));

  auto nothing = instance->call("nothing", {});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST(Call, TypedPathMatchesSignature) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  auto add = instance->typed<int32_t(int32_t, int32_t)>("add");
  ASSERT_TRUE(add.ok()) << add.error().message;
  auto sum = (*add)(-3, 10);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 7);
  auto unsigned_add = instance->typed<uint32_t(uint32_t, uint32_t)>("add");
  ASSERT_TRUE(unsigned_add.ok());
  EXPECT_EQ(*(*unsigned_add)(0xffffffffu, 2u), 1u);
  auto store = instance->typed<void(uint32_t, uint32_t)>("store");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)(16, 0xabcd).ok());
  EXPECT_EQ(instance->memory().load<uint32_t>(16), 0xabcdu);
}

TEST(Call, TypedPathRejectsWrongSignature) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  auto wrong = instance->typed<int64_t(int32_t, int32_t)>("add");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(
      wrong.error().message.find("has type (i32, i32) -> (i32), expected (i32, i32) -> (i64)"),
      std::string::npos)
      << wrong.error().message;
}

TEST(Call, ReportsMissingExportAndBadArguments) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  auto missing = instance->call("nope", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "module 'test' has no export 'nope'");
  EXPECT_FALSE(engine::is_trap(missing.error()));

  auto not_function = instance->call("memory", {});
  ASSERT_FALSE(not_function.ok());
  EXPECT_EQ(not_function.error().message, "export 'memory' of module 'test' is not a function");

  std::vector<Value> one{Value::i32(1)};
  auto arity = instance->call("add", one);
  ASSERT_FALSE(arity.ok());
  EXPECT_NE(arity.error().message.find("takes 2 argument(s)"), std::string::npos);

  std::vector<Value> wrong_type{Value::i32(1), Value::f64(2)};
  auto type = instance->call("add", wrong_type);
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().message, "argument 2 of 'add' must be i32, got f64");
}

TEST(Call, ReadsAndWritesGlobals) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  EXPECT_EQ(*instance->global("counter"), Value::i32(7));
  EXPECT_EQ(*instance->global("constant"), Value::i64(-5));
  ASSERT_TRUE(instance->set_global("counter", Value::i32(100)).ok());
  auto bumped = instance->call("bump", {});
  ASSERT_TRUE(bumped.ok());
  EXPECT_EQ(bumped->at(0), Value::i32(101));
  EXPECT_FALSE(instance->set_global("constant", Value::i64(1)).ok());  // immutable
  EXPECT_FALSE(instance->global("missing").ok());
}

TEST(Call, CountsFuelPerCallDeterministically) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  auto loop = instance->typed<int32_t(int32_t)>("loop");
  ASSERT_TRUE(loop.ok());
  ASSERT_EQ(*(*loop)(10), 10);
  uint64_t ten = instance->last_call_fuel();
  ASSERT_EQ(*(*loop)(20), 20);
  uint64_t twenty = instance->last_call_fuel();
  ASSERT_EQ(*(*loop)(10), 10);
  EXPECT_EQ(instance->last_call_fuel(), ten);  // same input, same fuel
  EXPECT_GT(twenty, ten);
  EXPECT_GT(ten, 0u);
}

TEST(Call, OutOfFuelFailsOnlyThatCall) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kArith);
  instance->set_fuel_per_call(1000);
  auto loop = instance->typed<int32_t(int32_t)>("loop");
  auto exhausted = (*loop)(1'000'000);
  ASSERT_FALSE(exhausted.ok());
  EXPECT_TRUE(engine::is_trap(exhausted.error(), TrapKind::OutOfFuel)) << exhausted.error().message;
  EXPECT_EQ(instance->last_call_fuel(), 1000u);
  auto small = (*loop)(3);  // the budget is per call: the next call runs normally
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(*small, 3);
}

}  // namespace
}  // namespace interstice::engine
