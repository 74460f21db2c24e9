// Fuel metering by instrumentation (instrumentation.h): exact charges, the
// start function under the budget, results identical to an unmetered
// engine over every kind of instruction, and the engine's exports hidden.
#include "engine/instrumentation.h"

#include <gtest/gtest.h>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::compile_wat;
using testing::instantiate_wat;
using testing::make_engine;

TEST(FuelMetering, ChargesTheInstructionsOfEachRegion) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, R"((module
    (func (export "two") (result i32) i32.const 2)
    (func (export "count") (param i32) (result i32) (local i32)
      (block (loop
        local.get 0 i32.eqz br_if 1
        local.get 0 i32.const 1 i32.sub local.set 0
        local.get 1 i32.const 1 i32.add local.set 1
        br 0))
      local.get 1)))");
  auto two = instance->typed<int32_t()>("two");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(*(*two)(), 2);
  EXPECT_EQ(instance->last_call_fuel(), 2u);  // i32.const, end

  // Outside the loop: block, loop, end, local.get, end (5). Each iteration,
  // whether it leaves or goes round: the loop's 12 instructions and its end.
  auto count = instance->typed<int32_t(int32_t)>("count");
  ASSERT_TRUE(count.ok());
  for (int32_t n : {0, 1, 7, 100}) {
    ASSERT_EQ(*(*count)(n), n);
    EXPECT_EQ(instance->last_call_fuel(), 5u + 13u * (n + 1)) << n;
  }
}

// Functions with loops keep the counter in a local: calls and every way out
// of the function must hand it back to the global, or these charges go missing.
TEST(FuelMetering, LoopsPayForTheirCallsAndEarlyExits) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, R"((module
    (func $leaf (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func (export "calls") (param i32) (result i32) (local i32)
      (block (loop
        local.get 0 i32.eqz br_if 1
        local.get 1 call $leaf local.set 1
        local.get 0 i32.const 1 i32.sub local.set 0
        br 0))
      local.get 1)
    (func (export "returns") (param i32) (result i32) (local i32)
      (loop
        local.get 1 i32.const 1 i32.add local.tee 1
        local.get 0 i32.eq
        if local.get 1 return end
        br 0)
      i32.const -1)
    (func (export "branches") (param i32) (result i32) (local i32)
      (loop
        local.get 1 i32.const 1 i32.add local.set 1
        local.get 1
        local.get 1 local.get 0 i32.ge_u br_if 1
        drop
        br 0)
      i32.const -1)))");
  for (const char* name : {"calls", "returns", "branches"}) {
    auto f = instance->typed<int32_t(int32_t)>(name);
    ASSERT_TRUE(f.ok()) << name;
    for (int32_t n : {1, 9}) {
      ASSERT_EQ(*(*f)(n), n) << name;
      uint64_t expected = std::string_view(name) == "calls"
                              ? 5 + 12 * (n + 1) + 4 * n  // loop, then $leaf's 4 per call
                              : 3 + 12 * n;               // 12 per iteration, 3 outside
      EXPECT_EQ(instance->last_call_fuel(), expected) << name << " " << n;
    }
  }
}

TEST(FuelMetering, RecursionPaysOnEveryCall) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, R"((module
    (func $down (export "down") (param i32) (result i32)
      local.get 0 i32.eqz
      if (result i32) i32.const 0
      else local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add end)))");
  auto down = instance->typed<int32_t(int32_t)>("down");
  ASSERT_TRUE(down.ok());
  ASSERT_EQ(*(*down)(0), 0);
  uint64_t one_call = instance->last_call_fuel();
  ASSERT_EQ(*(*down)(50), 50);
  EXPECT_EQ(instance->last_call_fuel(), 51 * one_call);

  instance->set_fuel_per_call(10 * one_call);
  auto deep = (*down)(50);
  ASSERT_FALSE(deep.ok());
  EXPECT_TRUE(engine::is_trap(deep.error(), TrapKind::OutOfFuel)) << deep.error().message;
  EXPECT_EQ(instance->last_call_fuel(), 10 * one_call);
}

// memory.fill, memory.copy and memory.init are one instruction whatever
// their length: they pay one more unit per 64 bytes, in functions with and
// without loops and in 64-bit memories, so fuel bounds their work too.
TEST(FuelMetering, BulkMemoryPaysForItsLength) {
  auto engine = make_engine({.fuel_per_call = 1'000'000});
  auto instance = instantiate_wat(engine, R"((module
    (memory 512)
    (data $bytes "0123456789")
    (func (export "fill") (param $n i32)
      i32.const 0 i32.const 7 local.get $n memory.fill)
    (func (export "copy") (param $n i32)
      i32.const 0 i32.const 100 local.get $n memory.copy)
    (func (export "init") (param $n i32)
      i32.const 0 i32.const 0 local.get $n memory.init $bytes)
    (func (export "fill_in_loop") (param $n i32) (param $times i32)
      (loop
        i32.const 0 i32.const 7 local.get $n memory.fill
        local.get $times i32.const 1 i32.sub local.tee $times
        br_if 0)))
)");
  for (const char* name : {"fill", "copy"}) {
    for (int32_t n : {0, 63, 64, 1000, 1 << 20}) {
      auto result = instance->call(name, std::vector<Value>{Value::i32(n)});
      ASSERT_TRUE(result.ok()) << name << " " << n << ": " << result.error().message;
      EXPECT_EQ(instance->last_call_fuel(), 5u + n / 64) << name << " " << n;
    }
  }
  ASSERT_TRUE(instance->call("init", std::vector<Value>{Value::i32(10)}).ok());
  EXPECT_EQ(instance->last_call_fuel(), 5u);
  auto wide = instantiate_wat(engine, R"((module (memory i64 1)
    (func (export "fill64") (param $n i64) i64.const 0 i32.const 7 local.get $n memory.fill)))");
  ASSERT_TRUE(wide->call("fill64", std::vector<Value>{Value::i64(4096)}).ok());
  EXPECT_EQ(wide->last_call_fuel(), 5u + 4096 / 64);
  // The loop's 10 instructions (with its end) each time, and 2 outside.
  ASSERT_TRUE(
      instance->call("fill_in_loop", std::vector<Value>{Value::i32(6400), Value::i32(3)}).ok());
  EXPECT_EQ(instance->last_call_fuel(), 2u + 3 * (10 + 100));
  // 32 MiB filled again and again: out of fuel after about 8 MiB x 64.
  auto endless =
      instance->call("fill_in_loop", std::vector<Value>{Value::i32(32 << 20), Value::i32(-1)});
  ASSERT_FALSE(endless.ok());
  EXPECT_TRUE(engine::is_trap(endless.error(), TrapKind::OutOfFuel)) << endless.error().message;
}

TEST(FuelMetering, TheStartFunctionRunsOnceUnderTheBudget) {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, R"((module
    (global $runs (export "runs") (mut i32) (i32.const 0))
    (func $init global.get $runs i32.const 1 i32.add global.set $runs)
    (start $init)))");
  auto runs = instance->global("runs");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  EXPECT_EQ(*runs, Value::i32(1));

  auto forever =
      engine->load(*wat_to_wasm("(module (func $spin (loop br 0)) (start $spin))"), "spinner");
  ASSERT_TRUE(forever.ok()) << forever.error().message;
  Linker linker(engine);
  auto failed = Instance::create(linker, *forever);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(engine::is_trap(failed.error(), TrapKind::OutOfFuel)) << failed.error().message;
  EXPECT_NE(failed.error().message.find("module 'spinner': instantiation failed: out of fuel"),
            std::string::npos)
      << failed.error().message;
}

TEST(FuelMetering, TheEnginesExportsAreHiddenAndReserved) {
  auto engine = make_engine();
  Module module = compile_wat(*engine, R"((module
    (func $init) (start $init)
    (func (export "f"))))");
  ASSERT_EQ(module.exports().size(), 1u);
  EXPECT_EQ(module.exports()[0].name, "f");
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  EXPECT_FALSE((*instance)->global(kFuelExport).ok());
  EXPECT_FALSE((*instance)->set_global(kFuelExport, Value::i64(1 << 30)).ok());
  EXPECT_FALSE((*instance)->call(kStartExport, {}).ok());

  auto clash = engine->load(
      *wat_to_wasm(R"((module (global (export "__interstice_fuel") i64 (i64.const 0))))"),
      "clash.wasm");
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message,
            "clash.wasm: cannot instrument the module: the export name '__interstice_fuel' is "
            "reserved for the engine");
}

// The counter's index comes after the imported and the defined globals.
TEST(FuelMetering, TheCounterFollowsImportedAndDefinedGlobals) {
  auto engine = make_engine();
  auto wasm = wat_to_wasm(R"((module
    (import "env" "a" (global $a i32))
    (import "env" "b" (global $b (mut f32)))
    (global $c (mut i32) (i32.const 0))
    (func (export "f") (result i32)
      global.get $a global.get $c i32.add global.set $c global.get $c)))");
  ASSERT_TRUE(wasm.ok());
  auto module = engine->load(*wasm, "globals");
  EXPECT_TRUE(module.ok()) << module.error().message;
}

// Function references, and the GC instructions wasmtime accepts without GC
// types (here in unreachable code), which real compilers rarely emit.
TEST(FuelMetering, FunctionReferencesAndGcInstructionsAreInstrumented) {
  constexpr std::string_view kRefs = R"((module
    (type $u (func (param i32) (result i32)))
    (elem declare func $inc)
    (func $inc (type $u) local.get 0 i32.const 1 i32.add)
    (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
      (loop $l
        (local.set $acc (call_ref $u (local.get $acc) (ref.as_non_null (ref.func $inc))))
        (block $null (result i32)
          (br_on_null $null (i32.const 7) (ref.func $inc))
          drop drop (i32.const 0))
        drop
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (if (i32.eqz (local.get $n)) (then unreachable ref.i31 i31.get_s drop unreachable))
      local.get $acc)))";
  for (EngineConfig config : {EngineConfig{}, EngineConfig{.consume_fuel = false}}) {
    auto engine = make_engine(config);
    auto instance = instantiate_wat(engine, kRefs);
    auto run = instance->typed<int32_t(int32_t)>("run");
    ASSERT_TRUE(run.ok()) << run.error().message;
    auto result = (*run)(25);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(*result, 25);
  }
}

// Every family of instruction immediates the rewriter must step over, inside
// loops and blocks, with globals defined before the counter.
constexpr std::string_view kEveryKind = R"((module
  (import "env" "seed" (func $seed (result i32)))
  (type $unary (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 4 funcref)
  (global $acc (mut i64) (i64.const 0))
  (global $f (mut f64) (f64.const 0))
  (data $bytes "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (elem $fns func $double $inc)
  (func $double (type $unary) local.get 0 i32.const 1 i32.shl)
  (func $inc (type $unary) local.get 0 i32.const 1 i32.add)
  (func $tail (param i32) (result i32) local.get 0 return_call $inc)
  (func (export "run") (param $n i32) (result i64) (local $i i32) (local $v v128)
    (memory.init $bytes (i32.const 64) (i32.const 0) (i32.const 16))
    (table.init $t $fns (i32.const 0) (i32.const 0) (i32.const 2))
    (memory.fill (i32.const 128) (i32.const 7) (i32.const 16))
    (memory.copy (i32.const 256) (i32.const 64) (i32.const 16))
    (loop $again
      (block $out
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 $out (i32.rem_u (local.get $i) (i32.const 4))))
          (global.set $acc (i64.add (global.get $acc)
            (i64.extend_i32_u (call_indirect (type $unary) (local.get $i) (i32.const 0)))))
          (br $out))
          (global.set $acc (i64.add (global.get $acc)
            (i64.extend_i32_u (call $tail (local.get $i)))))
          (br $out))
        (local.set $v (v128.load offset=64 (i32.const 0)))
        (local.set $v (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get $v) (local.get $v)))
        (local.set $v (i32x4.replace_lane 1 (local.get $v) (local.get $i)))
        (local.set $v (v128.load8_lane offset=128 3 (i32.const 0) (local.get $v)))
        (v128.store offset=512 (i32.const 0) (i32x4.add (local.get $v) (v128.const i32x4 1 2 3 4)))
        (global.set $acc (i64.add (global.get $acc)
          (i64.extend_i32_s (i32x4.extract_lane 1 (v128.load32_zero offset=516 (i32.const 0))))))
        (global.set $f (f64.add (global.get $f) (f64.sqrt (f64.convert_i32_u (local.get $i)))))
        (global.set $acc (i64.add (global.get $acc)
          (i64.trunc_sat_f64_s (global.get $f))))
        (global.set $acc (i64.add (global.get $acc)
          (i64.extend_i32_u (select (result i32) (i32.load8_u offset=260 (i32.const 0))
            (i32.extend8_s (call $seed)) (i32.and (local.get $i) (i32.const 8))))))
        (drop (ref.is_null (ref.null func)))
        (drop (ref.is_null (ref.func $inc)))
        (drop (memory.size))
        (drop (table.size $t)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (global.get $acc))))";

int64_t run_every_kind(EngineConfig config, int32_t n, uint64_t* fuel) {
  auto engine = make_engine(std::move(config));
  Linker linker(engine);
  EXPECT_TRUE(linker.define("env", "seed", [](Caller&) { return int32_t{-3}; }).ok());
  auto instance = instantiate_wat(engine, kEveryKind, &linker);
  auto run = instance->typed<int64_t(int32_t)>("run");
  EXPECT_TRUE(run.ok()) << run.error().message;
  auto result = (*run)(n);
  EXPECT_TRUE(result.ok()) << result.error().message;
  *fuel = instance->last_call_fuel();
  return result.ok() ? *result : 0;
}

TEST(FuelMetering, MeteredCodeComputesWhatUnmeteredCodeComputes) {
  uint64_t metered_fuel = 0, wasmtime_fuel = 0, unmetered_fuel = 0;
  int64_t metered = run_every_kind({}, 40, &metered_fuel);
  int64_t by_wasmtime = run_every_kind({.wasmtime_fuel = true}, 40, &wasmtime_fuel);
  int64_t unmetered = run_every_kind({.consume_fuel = false}, 40, &unmetered_fuel);
  EXPECT_EQ(metered, unmetered);
  EXPECT_EQ(by_wasmtime, unmetered);
  EXPECT_NE(unmetered, 0);
  EXPECT_GT(metered_fuel, 40u * 20u);  // every iteration pays for its instructions
  EXPECT_GT(wasmtime_fuel, 0u);
}

}  // namespace
}  // namespace interstice::engine
