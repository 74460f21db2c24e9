// Traps become values with the right kind, wasmtime's message and a
// backtrace naming the functions; the instance stays usable afterwards.
#include <gtest/gtest.h>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

constexpr std::string_view kTraps = R"((module
  (memory 1)
  (table 2 funcref)
  (func $inner (unreachable))
  (func $outer (call $inner))
  (func (export "unreachable") (call $outer))
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func $recurse (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $recurse)
  (func (export "null_call") i32.const 1 call_indirect)
  (func (export "trunc") (result i32) f32.const nan i32.trunc_f32_s)
  (func (export "spin") (loop br 0))
  (func (export "ok") (result i32) i32.const 1)
))";

Trap expect_trap(Instance& instance, std::string_view name, std::span<const Value> args = {}) {
  auto result = instance.call(name, args);
  EXPECT_FALSE(result.ok()) << name << " should trap";
  if (result.ok() || !engine::trap_of(result.error())) return {};
  return *engine::trap_of(result.error());
}

TEST(Trap, KindsAreClassified) {
  auto engine = make_engine({.fuel_per_call = 10'000'000});
  auto instance = instantiate_wat(engine, kTraps);
  EXPECT_EQ(expect_trap(*instance, "unreachable").kind, TrapKind::Unreachable);
  std::vector<Value> zero{Value::i32(1), Value::i32(0)};
  EXPECT_EQ(expect_trap(*instance, "div", zero).kind, TrapKind::IntegerDivideByZero);
  std::vector<Value> overflow{Value::i32(INT32_MIN), Value::i32(-1)};
  EXPECT_EQ(expect_trap(*instance, "div", overflow).kind, TrapKind::IntegerOverflow);
  EXPECT_EQ(expect_trap(*instance, "oob").kind, TrapKind::MemoryOutOfBounds);
  std::vector<Value> start{Value::i32(0)};
  EXPECT_EQ(expect_trap(*instance, "recurse", start).kind, TrapKind::StackOverflow);
  EXPECT_EQ(expect_trap(*instance, "null_call").kind, TrapKind::IndirectCallToNull);
  EXPECT_EQ(expect_trap(*instance, "trunc").kind, TrapKind::BadConversionToInteger);
  EXPECT_EQ(expect_trap(*instance, "spin").kind, TrapKind::OutOfFuel);
}

TEST(Trap, CarriesMessageAndBacktrace) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kTraps);
  auto result = instance->call("unreachable", {});
  ASSERT_FALSE(result.ok());
  const Error& error = result.error();
  EXPECT_EQ(error.message, "module 'test': unreachable: wasm `unreachable` instruction executed");
  ASSERT_TRUE(engine::trap_of(error));
  const std::vector<Frame>& frames = engine::trap_of(error)->backtrace;
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function_name, "inner");
  EXPECT_EQ(frames[1].function_name, "outer");
  EXPECT_EQ(frames[0].function_index, 0u);
  EXPECT_GT(frames[0].module_offset, 0u);
  std::string text = engine::trap_of(error)->describe();
  EXPECT_NE(text.find("inner (func 0"), std::string::npos) << text;
}

TEST(Trap, InstanceStaysUsable) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kTraps);
  for (int i = 0; i < 3; ++i) {
    expect_trap(*instance, "unreachable");
    std::vector<Value> start{Value::i32(0)};
    expect_trap(*instance, "recurse", start);
    auto ok = instance->call("ok", {});
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->at(0), Value::i32(1));
  }
}

TEST(Trap, StartFunctionTrapFailsInstantiation) {
  auto engine = make_engine();
  Module module = testing::compile_wat(*engine, "(module (func $s unreachable) (start $s))");
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_TRUE(engine::is_trap(instance.error(), TrapKind::Unreachable));
  EXPECT_NE(instance.error().message.find("instantiation failed"), std::string::npos);
}

TEST(Trap, EndlessStartFunctionRunsOutOfFuel) {
  auto engine = make_engine({.fuel_per_call = 100'000});
  Module module = testing::compile_wat(*engine, "(module (func $s (loop br 0)) (start $s))");
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_TRUE(engine::is_trap(instance.error(), TrapKind::OutOfFuel)) << instance.error().message;
}

}  // namespace
}  // namespace interstice::engine
