// The same module with the same input on two engines gives identical results
// and identical fuel use; NaNs come out bit-identical and canonical.
#include <gtest/gtest.h>

#include <bit>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

// Writes the bits of NaN-producing float operations to memory[0..) and
// returns how many 32-bit words it wrote. The inputs include NaNs with
// non-canonical payloads and signs, which hardware would otherwise propagate
// differently on different machines.
constexpr std::string_view kNanKernel = R"((module
  (memory (export "memory") 1)
  (func $f32 (param $at i32) (param $v f32) (result i32)
    local.get $at local.get $v i32.reinterpret_f32 i32.store local.get $at i32.const 4 i32.add)
  (func $f64 (param $at i32) (param $v f64) (result i32)
    local.get $at local.get $v i64.reinterpret_f64 i64.store local.get $at i32.const 8 i32.add)
  (func (export "nans") (param $seed f32) (result i32) (local $at i32) (local $odd f32) (local $oddd f64)
    i32.const 0x7fa00001 f32.reinterpret_i32 local.set $odd          ;; signalling NaN, payload 1
    i64.const 0xfff4000000000123 f64.reinterpret_i64 local.set $oddd ;; negative NaN with payload
    local.get $at f32.const 0 f32.const 0 f32.div call $f32 local.set $at
    local.get $at local.get $seed f32.neg f32.sqrt call $f32 local.set $at
    local.get $at local.get $odd f32.const 1 f32.add call $f32 local.set $at
    local.get $at local.get $odd local.get $seed f32.mul call $f32 local.set $at
    local.get $at local.get $odd local.get $seed f32.min call $f32 local.set $at
    local.get $at local.get $odd local.get $seed f32.max call $f32 local.set $at
    local.get $at f32.const inf f32.const -inf f32.add call $f32 local.set $at
    local.get $at local.get $oddd f64.const 2 f64.sub call $f64 local.set $at
    local.get $at local.get $oddd f64.sqrt call $f64 local.set $at
    local.get $at local.get $odd f64.promote_f32 call $f64 local.set $at
    local.get $at local.get $oddd f32.demote_f64 call $f32 local.set $at
    ;; SIMD lanes: 0/0 in every lane
    local.get $at v128.const f32x4 0 0 0 0 v128.const f32x4 0 0 0 0 f32x4.div v128.store
    local.get $at i32.const 16 i32.add local.set $at
    local.get $at local.get $oddd f64x2.splat f64.const 3 f64x2.splat f64x2.mul v128.store
    local.get $at i32.const 16 i32.add
    i32.const 4 i32.div_u)
  ;; An integer + float workload whose fuel use depends on the input.
  (func (export "work") (param $n i32) (result f64) (local $acc f64) (local $i i32)
    (block (loop
      local.get $i local.get $n i32.ge_u br_if 1
      local.get $acc local.get $i f64.convert_i32_u f64.sqrt f64.add local.set $acc
      local.get $i i32.const 1 i32.add local.set $i
      br 0))
    local.get $acc))
)";

struct Outcome {
  std::vector<uint32_t> words;
  uint64_t nan_fuel = 0;
  double work = 0;
  uint64_t work_fuel = 0;
};

Outcome run_once() {
  auto engine = make_engine();
  auto instance = instantiate_wat(engine, kNanKernel);
  Outcome outcome;
  auto nans = instance->typed<int32_t(float)>("nans");
  auto count = (*nans)(2.0f);
  EXPECT_TRUE(count.ok());
  outcome.nan_fuel = instance->last_call_fuel();
  MemoryView memory = instance->memory();
  for (int32_t i = 0; i < *count; ++i) outcome.words.push_back(*memory.load<uint32_t>(4 * i));
  auto work = instance->typed<double(int32_t)>("work");
  outcome.work = *(*work)(12345);
  outcome.work_fuel = instance->last_call_fuel();
  return outcome;
}

TEST(Determinism, TwoEnginesAgreeBitForBit) {
  Outcome first = run_once();
  Outcome second = run_once();
  ASSERT_FALSE(first.words.empty());
  EXPECT_EQ(first.words, second.words);
  EXPECT_EQ(first.nan_fuel, second.nan_fuel);
  EXPECT_GT(first.nan_fuel, 0u);
  EXPECT_EQ(std::bit_cast<uint64_t>(first.work), std::bit_cast<uint64_t>(second.work));
  EXPECT_EQ(first.work_fuel, second.work_fuel);
  EXPECT_GT(first.work_fuel, first.nan_fuel);
}

TEST(Determinism, ArithmeticNansAreCanonical) {
  Outcome outcome = run_once();
  const std::vector<uint32_t>& w = outcome.words;
  // Layout written by "nans": 7 f32, 3 f64, 1 f32, 4 f32 lanes, 2 f64 lanes.
  ASSERT_EQ(w.size(), 7u + 6u + 1u + 4u + 4u);
  constexpr uint32_t kF32 = 0x7fc00000;
  constexpr uint32_t kF64Low = 0x00000000, kF64High = 0x7ff80000;
  for (int i = 0; i < 7; ++i) EXPECT_EQ(w[i], kF32) << "f32 result " << i;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w[7 + 2 * i], kF64Low) << "f64 result " << i;
    EXPECT_EQ(w[8 + 2 * i], kF64High) << "f64 result " << i;
  }
  EXPECT_EQ(w[13], kF32);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(w[14 + i], kF32) << "f32x4 lane " << i;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(w[18 + 2 * i], kF64Low) << "f64x2 lane " << i;
    EXPECT_EQ(w[19 + 2 * i], kF64High) << "f64x2 lane " << i;
  }
}

TEST(Determinism, FuelIsIndependentOfTheCompiledModuleCache) {
  // A module loaded from the cache runs the same code: same fuel.
  interstice::engine::EngineConfig config;
  std::string dir = ::testing::TempDir() + "/determinism-cache";
  config.cache_dir = dir;
  std::vector<uint64_t> fuel;
  for (int round = 0; round < 2; ++round) {
    auto engine = make_engine(config);
    auto wasm = wat_to_wasm(kNanKernel);
    auto module = engine->load(*wasm, "kernel");
    ASSERT_TRUE(module.ok());
    EXPECT_EQ(module->from_cache(), round == 1);
    Linker linker(engine);
    auto instance = Instance::create(linker, *module);
    auto work = (*instance)->typed<double(int32_t)>("work");
    ASSERT_TRUE((*work)(1000).ok());
    fuel.push_back((*instance)->last_call_fuel());
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(fuel[0], fuel[1]);
}

}  // namespace
}  // namespace interstice::engine
