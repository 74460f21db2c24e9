// Deferred checks of stored floats (deferred_stores.h): a window of stores
// checked once must leave memory bit for bit as Cranelift's canonicalization
// does, whatever closes the window and whatever reads the values back.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

// Inputs at 0: an f64 NaN with a signalling payload, an f32 NaN with one, and
// 0.0 at 16. `run` writes its outputs from 256 on.
constexpr std::string_view kWindows = R"((module
  (memory (export "memory") 1)
  (data (i32.const 0) "\01\00\00\00\00\00\f4\7f" "\01\00\a0\7f")
  (func $peek (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "run") (local $n f64) (local $s f32) (local $i i32) (local $p i32)
    (local.set $n (f64.load (i32.const 0)))
    (local.set $s (f32.load (i32.const 8)))
    ;; a window of four whose third value is a NaN
    (f64.store (i32.const 256) (f64.add (f64.load (i32.const 16)) (f64.const 2)))
    (f64.store (i32.const 264) (f64.mul (f64.load (i32.const 16)) (f64.const 4)))
    (f64.store (i32.const 272) (f64.add (local.get $n) (f64.const 1)))
    (f64.store (i32.const 280) (f64.sub (f64.const 5) (f64.load (i32.const 16))))
    ;; opposite infinities: their sum is a NaN, they are not
    (f64.store (i32.const 288) (f64.div (f64.const 1) (f64.load (i32.const 16))))
    (f64.store (i32.const 296) (f64.div (f64.const -1) (f64.load (i32.const 16))))
    ;; the same place twice: the later store stays, NaN or not
    (f64.store (i32.const 304) (f64.add (local.get $n) (f64.const 1)))
    (f64.store (i32.const 304) (f64.add (f64.load (i32.const 16)) (f64.const 7)))
    (f64.store (i32.const 312) (f64.add (f64.load (i32.const 16)) (f64.const 7)))
    (f64.store (i32.const 312) (f64.add (local.get $n) (f64.const 1)))
    ;; overlapping: a NaN, then a number over its upper half
    (f64.store (i32.const 320) (f64.mul (local.get $n) (f64.const 2)))
    (f64.store (i32.const 324) (f64.add (f64.load (i32.const 16)) (f64.const 1)))
    ;; read back into arithmetic: the window stays open
    (f64.store (i32.const 336) (f64.sub (local.get $n) (f64.const 1)))
    (f64.store (i32.const 344) (f64.add (f64.load (i32.const 336)) (f64.const 1)))
    ;; read back and stored as it is: the window closes before the load
    (f64.store (i32.const 352) (f64.sub (local.get $n) (f64.const 1)))
    (f64.store (i32.const 360) (f64.load (i32.const 352)))
    ;; read back as an integer
    (f64.store (i32.const 368) (f64.sub (local.get $n) (f64.const 2)))
    (i64.store (i32.const 376) (i64.load (i32.const 368)))
    ;; more stores than a window holds
    (f64.store (i32.const 384) (f64.mul (local.get $n) (f64.const 1)))
    (f64.store (i32.const 392) (f64.mul (local.get $n) (f64.const 2)))
    (f64.store (i32.const 400) (f64.mul (local.get $n) (f64.const 3)))
    (f64.store (i32.const 408) (f64.mul (local.get $n) (f64.const 4)))
    (f64.store (i32.const 416) (f64.mul (local.get $n) (f64.const 5)))
    (f64.store (i32.const 424) (f64.mul (local.get $n) (f64.const 6)))
    (f64.store (i32.const 432) (f64.mul (local.get $n) (f64.const 7)))
    (f64.store (i32.const 440) (f64.mul (local.get $n) (f64.const 8)))
    (f64.store (i32.const 448) (f64.mul (local.get $n) (f64.const 9)))
    (f64.store (i32.const 456) (f64.mul (local.get $n) (f64.const 10)))
    ;; f32 and f64 in turn
    (f32.store (i32.const 464) (f32.add (local.get $s) (f32.const 1)))
    (f64.store (i32.const 472) (f64.add (local.get $n) (f64.const 1)))
    (f32.store (i32.const 480) (f32.mul (local.get $s) (f32.const 1)))
    (f64.store (i32.const 488) (f64.mul (f64.load (i32.const 16)) (f64.const 2)))
    ;; in a loop: the branch closes the window
    (loop $l
      (f64.store (i32.add (i32.const 496) (i32.shl (local.get $i) (i32.const 3)))
        (f64.mul (local.get $n) (f64.convert_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    ;; a call closes it: the callee reads the NaN as an integer
    (f64.store (i32.const 520) (f64.add (local.get $n) (f64.const 3)))
    (i64.store (i32.const 528) (call $peek (i32.const 520)))
    ;; read back in part: the low half of a NaN is a number
    (f64.store (i32.const 544) (f64.mul (local.get $n) (f64.const 3)))
    (f32.store (i32.const 552) (f32.mul (f32.load (i32.const 544)) (f32.const 0x1p127)))
    (f64.store (i32.const 560) (f64.mul (local.get $n) (f64.const 3)))
    (f64.store (i32.const 576) (f64.add (f64.load (i32.const 564)) (f64.const 0)))
    ;; an integer store beside the window's places, then one over them
    (local.set $p (i32.const 592))
    (f64.store (local.get $p) (f64.mul (local.get $n) (f64.const 5)))
    (i32.store offset=8 (local.get $p) (i32.const 7))
    (f64.store offset=16 (local.get $p) (f64.add (local.get $n) (f64.const 1)))
    (i32.store offset=4 (local.get $p) (i32.const 9))
    ;; the function's end closes the last one
    (f64.store (i32.const 616) (f64.div (local.get $n) (f64.const 3)))))
)";

constexpr uint64_t kOutputs = 256, kOutputsEnd = 624;

std::vector<uint8_t> run_windows(EngineConfig config) {
  auto engine = make_engine(std::move(config));
  auto instance = instantiate_wat(engine, kWindows);
  auto ran = instance->call("run", {});
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  auto bytes = instance->memory().bytes(kOutputs, kOutputsEnd - kOutputs);
  if (!bytes) return {};
  return {bytes->begin(), bytes->end()};
}

uint64_t dword(const std::vector<uint8_t>& memory, uint64_t address) {
  uint64_t value = 0;
  std::memcpy(&value, memory.data() + (address - kOutputs), 8);
  return value;
}

constexpr uint64_t kCanonical = 0x7ff8000000000000;

TEST(DeferredStores, WindowsMatchCraneliftBitForBit) {
  std::vector<uint8_t> injected = run_windows({});
  std::vector<uint8_t> cranelift = run_windows({.wasmtime_fuel = true});
  ASSERT_EQ(injected.size(), kOutputsEnd - kOutputs);
  ASSERT_EQ(cranelift.size(), injected.size());
  for (uint64_t at = kOutputs; at < kOutputsEnd; at += 8)
    EXPECT_EQ(dword(injected, at), dword(cranelift, at)) << "output at " << at;

  // The expectations that do not depend on Cranelift.
  EXPECT_EQ(dword(injected, 256), std::bit_cast<uint64_t>(2.0));
  EXPECT_EQ(dword(injected, 272), kCanonical);
  EXPECT_EQ(dword(injected, 288), std::bit_cast<uint64_t>(HUGE_VAL));
  EXPECT_EQ(dword(injected, 296), std::bit_cast<uint64_t>(-HUGE_VAL));
  EXPECT_EQ(dword(injected, 304), std::bit_cast<uint64_t>(7.0));
  EXPECT_EQ(dword(injected, 312), kCanonical);
  // The NaN's canonical low half, then 1.0 over its upper half.
  EXPECT_EQ(dword(injected, 320), 0u);
  EXPECT_EQ(dword(injected, 328), std::bit_cast<uint64_t>(1.0) >> 32);
  EXPECT_EQ(dword(injected, 344), kCanonical);
  EXPECT_EQ(dword(injected, 360), kCanonical);
  EXPECT_EQ(dword(injected, 376), kCanonical);
  for (uint64_t at = 384; at < 464; at += 8) EXPECT_EQ(dword(injected, at), kCanonical) << at;
  EXPECT_EQ(dword(injected, 464) & 0xffffffff, 0x7fc00000u);
  EXPECT_EQ(dword(injected, 472), kCanonical);
  EXPECT_EQ(dword(injected, 496), kCanonical);  // NaN times 0
  EXPECT_EQ(dword(injected, 528), kCanonical);
  EXPECT_EQ(dword(injected, 544), kCanonical);
  EXPECT_EQ(dword(injected, 552) & 0xffffffff, 0u);   // the canonical low half, times 2^127
  EXPECT_EQ(dword(injected, 576), kCanonical >> 32);  // the canonical high half, as a number
  EXPECT_EQ(dword(injected, 592), uint64_t{9} << 32);
  EXPECT_EQ(dword(injected, 600), 7u);
  EXPECT_EQ(dword(injected, 608), kCanonical);
  EXPECT_EQ(dword(injected, 616), kCanonical);
}

TEST(DeferredStores, TheTestSeesNaNsThatAreNotCanonical) {
  // Without canonicalization the stored NaNs keep the input's payload, so
  // the windows above really have NaNs to fix.
  std::vector<uint8_t> raw = run_windows({.nan_canonicalization = false});
  ASSERT_EQ(raw.size(), kOutputsEnd - kOutputs);
  EXPECT_EQ(dword(raw, 272), 0x7ffc000000000001u);
  EXPECT_EQ(dword(raw, 528), 0x7ffc000000000001u);
}

TEST(DeferredStores, SixtyFourBitMemories) {
  constexpr std::string_view wat = R"((module
    (memory (export "memory") i64 1)
    (data (i64.const 0) "\01\00\00\00\00\00\f4\7f")
    (func (export "run") (local $n f64)
      (local.set $n (f64.load (i64.const 0)))
      (f64.store (i64.const 256) (f64.add (local.get $n) (f64.const 1)))
      (f64.store offset=8 (i64.const 256) (f64.mul (local.get $n) (f64.const 2)))
      (f64.store (i64.const 272) (f64.sub (f64.const 1) (f64.load (i64.const 16))))))
  )";
  auto instance = instantiate_wat(make_engine(), wat);
  ASSERT_TRUE(instance->call("run", {}).ok());
  auto bytes = instance->memory().bytes(256, 24);
  ASSERT_TRUE(bytes.has_value());
  std::vector<uint8_t> memory(bytes->begin(), bytes->end());
  EXPECT_EQ(dword(memory, 256), kCanonical);
  EXPECT_EQ(dword(memory, 264), kCanonical);
  EXPECT_EQ(dword(memory, 272), std::bit_cast<uint64_t>(1.0));
}

// The documented exception: a trap inside a window leaves the values stored
// before it as they were computed. The instance stays usable, and the next
// call's stores are canonical again.
TEST(DeferredStores, ATrapInsideAWindowLeavesTheStoresMadeBeforeIt) {
  constexpr std::string_view wat = R"((module
    (memory (export "memory") 1)
    (data (i32.const 0) "\01\00\00\00\00\00\f4\7f")
    (func (export "run") (param $at i32)
      (f64.store (i32.const 256) (f64.add (f64.load (i32.const 0)) (f64.const 1)))
      (f64.store (local.get $at) (f64.add (f64.load (i32.const 0)) (f64.const 2)))))
  )";
  auto instance = instantiate_wat(make_engine(), wat);
  for (int round = 0; round < 3; ++round) {
    auto trapped = instance->call("run", std::vector<Value>{Value::i32(65536)});
    ASSERT_FALSE(trapped.ok());
    auto bytes = instance->memory().bytes(256, 8);
    ASSERT_TRUE(bytes.has_value());
    std::vector<uint8_t> memory(bytes->begin(), bytes->end());
    EXPECT_TRUE(std::isnan(std::bit_cast<double>(dword(memory, 256))));

    ASSERT_TRUE(instance->call("run", std::vector<Value>{Value::i32(264)}).ok());
    bytes = instance->memory().bytes(256, 16);
    memory.assign(bytes->begin(), bytes->end());
    EXPECT_EQ(dword(memory, 256), kCanonical);
    EXPECT_EQ(dword(memory, 264), kCanonical);
  }
}

}  // namespace
}  // namespace interstice::engine
