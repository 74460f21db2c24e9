// NaN canonicalization by instrumentation (nan_canonicalization.h) must give
// bit for bit what Cranelift's canonicalization gives, wherever a NaN can be
// seen: memory, reinterpretation, copysign, comparisons, locals, globals,
// calls, block results, returns and SIMD lanes; and moving a NaN without
// arithmetic (load, store, abs, neg, copysign, select) must keep its bits.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

// Inputs at 0: f32 NaNs with payloads (0x7fa00001 signalling, 0xffc12345
// negative quiet) and an f64 NaN with a payload. `run` writes its outputs
// from 256 on, 4 or 8 or 16 bytes each.
constexpr std::string_view kNans = R"((module
  (memory (export "memory") 1)
  (global $g (mut f32) (f32.const 0))
  (data (i32.const 0) "\01\00\a0\7f" "\45\23\c1\ff" "\01\00\00\00\00\00\f4\7f")
  (func $store32 (param $at i32) (param $x f32)
    (i32.store (local.get $at) (i32.reinterpret_f32 (local.get $x))))
  (func $sum (result f32) (local $i i32) (local $acc f32)
    (loop $l
      (local.set $acc (f32.add (local.get $acc) (f32.load (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (local.get $acc))
  (func (export "one") (result f32) (f32.mul (f32.load (i32.const 4)) (f32.const 2)))
  (func (export "run")
    (local $a f32) (local $b f32) (local $d f64) (local $v v128)
    (local $t f32) (local $u f32) (local $w f32) (local $x f32) (local $y f32) (local $z f32)
    (local $n i32)
    (local.set $a (f32.load (i32.const 0)))
    (local.set $b (f32.load (i32.const 4)))
    (local.set $d (f64.load (i32.const 8)))
    ;; arithmetic results, straight to memory
    (f32.store (i32.const 256) (f32.add (local.get $a) (f32.const 1)))
    (f32.store (i32.const 260) (f32.add (f32.mul (local.get $b) (f32.const 1)) (f32.const 0)))
    (f32.store (i32.const 264) (f32.sqrt (f32.const -1)))
    (f32.store (i32.const 268) (f32.min (local.get $a) (f32.const 1)))
    (f32.store (i32.const 272) (f32.div (f32.const 0) (f32.const 0)))
    (f32.store (i32.const 276) (f32.nearest (local.get $b)))
    (f64.store (i32.const 280) (f64.promote_f32 (local.get $a)))
    (f32.store (i32.const 288) (f32.demote_f64 (local.get $d)))
    (f64.store (i32.const 296) (f64.sub (local.get $d) (f64.const 1)))
    ;; moves without arithmetic keep the bits
    (f32.store (i32.const 304) (local.get $a))
    (f32.store (i32.const 308) (f32.abs (local.get $b)))
    (f32.store (i32.const 312) (f32.neg (local.get $a)))
    (f32.store (i32.const 316) (f32.copysign (f32.const 1) (local.get $b)))
    (f32.store (i32.const 320) (select (local.get $a) (f32.const 1) (i32.const 1)))
    ;; other places an arithmetic NaN can be seen
    (i32.store (i32.const 324) (i32.reinterpret_f32 (f32.add (local.get $b) (f32.const 0))))
    (f32.store (i32.const 328) (f32.copysign (f32.const 1) (f32.add (local.get $b) (f32.const 0))))
    (f32.store (i32.const 332) (f32.abs (f32.add (local.get $b) (f32.const 0))))
    (i32.store (i32.const 336) (f32.eq (f32.add (local.get $a) (f32.const 0)) (f32.const 0)))
    (i32.store (i32.const 340) (i32.trunc_sat_f32_s (f32.mul (local.get $a) (f32.const 2))))
    (local.set $b (f32.add (local.get $b) (f32.const 0)))
    (f32.store (i32.const 344) (local.get $b))
    (global.set $g (f32.mul (local.get $a) (f32.const 3)))
    (f32.store (i32.const 348) (global.get $g))
    (call $store32 (i32.const 352) (f32.sub (local.get $a) (f32.const 1)))
    (f32.store (i32.const 356) (block (result f32) (br 0 (f32.add (local.get $b) (f32.const 1)))))
    (f32.store (i32.const 360) (call $sum))
    ;; SIMD
    (v128.store (i32.const 368) (f32x4.add (f32x4.splat (local.get $a)) (v128.const f32x4 1 2 3 4)))
    (v128.store (i32.const 384)
      (f64x2.add (f64x2.mul (f64x2.splat (local.get $d)) (v128.const f64x2 1 2)) (v128.const f64x2 0 0)))
    (i32.store (i32.const 400)
      (i32x4.extract_lane 2 (f32x4.mul (f32x4.splat (local.get $b)) (v128.const f32x4 1 1 1 1))))
    (v128.store (i32.const 416)
      (v128.and (f32x4.sub (f32x4.splat (local.get $a)) (v128.const f32x4 0 0 0 0)) (v128.const i32x4 -1 -1 0 -1)))
    (v128.store (i32.const 432) (f64x2.promote_low_f32x4 (f32x4.add (f32x4.splat (local.get $a)) (v128.const f32x4 0 0 0 0))))
    (v128.store (i32.const 448) (f32x4.demote_f64x2_zero (f64x2.sqrt (f64x2.splat (local.get $d)))))
    (v128.store (i32.const 464) (f32x4.abs (f32x4.max (f32x4.splat (local.get $b)) (v128.const f32x4 0 0 0 0))))
    (local.set $v (f64x2.div (f64x2.splat (local.get $d)) (v128.const f64x2 1 0)))
    (v128.store (i32.const 480) (local.get $v))
    (v128.store (i32.const 496) (f32x4.pmin (f32x4.splat (local.get $b)) (v128.const f32x4 1 1 1 1)))
    ;; locals (LocalAbsorption): read only by arithmetic in its run, then
    ;; read by a store after a branch leaves the run
    (local.set $t (f32.add (local.get $a) (f32.const 1)))
    (f32.store (i32.const 512) (f32.mul (local.get $t) (f32.const 2)))
    (block (br_if 0 (i32.const 0)))
    (f32.store (i32.const 516) (local.get $t))
    ;; overwritten with a loaded NaN in its run: that one keeps its bits
    (local.set $u (f32.add (local.get $a) (f32.const 1)))
    (f32.store (i32.const 520) (f32.mul (local.get $u) (f32.const 1)))
    (local.set $u (f32.load (i32.const 4)))
    (block (br_if 0 (i32.const 0)))
    (f32.store (i32.const 524) (local.get $u))
    ;; written at a loop's end, read by a store at its start
    (loop $again
      (f32.store (i32.const 528) (local.get $w))
      (local.set $w (f32.mul (local.get $a) (f32.const 2)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $n) (i32.const 2))))
    ;; through a copy into another local that is reinterpreted
    (local.set $y (f32.sub (local.get $a) (f32.const 1)))
    (local.set $x (local.get $y))
    (i32.store (i32.const 532) (i32.reinterpret_f32 (local.get $x)))
    ;; a tee that feeds arithmetic, the local later passed to a call
    (f32.store (i32.const 536) (f32.add (local.tee $z (f32.mul (local.get $b) (f32.const 1))) (f32.const 0)))
    (call $store32 (i32.const 540) (local.get $z))
    ;; tees in a chain, every read absorbing: the sum's NaN is canonical
    (f32.store (i32.const 544)
      (f32.add (local.tee $x (local.tee $y (f32.div (local.get $a) (f32.const 3)))) (local.get $y)))))
)";

constexpr uint64_t kOutputs = 256, kOutputsEnd = 560;

struct Outcome {
  std::vector<uint8_t> memory;  // kOutputs .. kOutputsEnd
  Value returned = Value::i32(0);
};

Outcome run_nans(EngineConfig config) {
  auto engine = make_engine(std::move(config));
  auto instance = instantiate_wat(engine, kNans);
  Outcome outcome;
  auto ran = instance->call("run", {});
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  auto one = instance->call("one", {});
  EXPECT_TRUE(one.ok()) << one.error().message;
  if (one.ok()) outcome.returned = one->at(0);
  auto bytes = instance->memory().bytes(kOutputs, kOutputsEnd - kOutputs);
  if (bytes) outcome.memory.assign(bytes->begin(), bytes->end());
  return outcome;
}

uint32_t word(const Outcome& outcome, uint64_t address) {
  uint32_t value = 0;
  std::memcpy(&value, outcome.memory.data() + (address - kOutputs), 4);
  return value;
}

TEST(NanCanonicalization, MatchesCraneliftBitForBit) {
  Outcome injected = run_nans({});
  Outcome cranelift = run_nans({.wasmtime_fuel = true});  // Cranelift canonicalizes
  ASSERT_EQ(injected.memory.size(), kOutputsEnd - kOutputs);
  for (uint64_t at = kOutputs; at < kOutputsEnd; at += 4)
    EXPECT_EQ(word(injected, at), word(cranelift, at)) << "output at " << at;
  EXPECT_EQ(injected.returned, cranelift.returned);
  EXPECT_EQ(injected.returned, Value::f32(std::bit_cast<float>(0x7fc00000u)));

  // The expectations that do not depend on Cranelift.
  EXPECT_EQ(word(injected, 256), 0x7fc00000u);  // arithmetic on a payload NaN
  EXPECT_EQ(word(injected, 260), 0x7fc00000u);  // after a chain of two operations
  EXPECT_EQ(word(injected, 304), 0x7fa00001u);  // a move keeps a signalling payload
  EXPECT_EQ(word(injected, 308), 0x7fc12345u);  // abs clears only the sign
  EXPECT_EQ(word(injected, 316), 0xbf800000u);  // copysign of a loaded NaN: -1
  EXPECT_EQ(word(injected, 328), 0x3f800000u);  // copysign of an arithmetic NaN: +1
  EXPECT_EQ(word(injected, 400), 0x7fc00000u);  // a SIMD lane read as an integer
  EXPECT_EQ(word(injected, 516), 0x7fc00000u);  // a local read after its run
  EXPECT_EQ(word(injected, 524), 0xffc12345u);  // overwritten by a move: the payload stays
  EXPECT_EQ(word(injected, 528), 0x7fc00000u);  // around a loop's back edge
  EXPECT_EQ(word(injected, 532), 0x7fc00000u);  // copied into another local
  EXPECT_EQ(word(injected, 540), 0x7fc00000u);  // passed to a call
  EXPECT_EQ(word(injected, 544), 0x7fc00000u);
}

TEST(NanCanonicalization, TheTestSeesNaNsThatAreNotCanonical) {
  // Without canonicalization, arithmetic passes the payload on (quieted) on
  // every CPU, so the outputs above really exercise canonicalization.
  Outcome raw = run_nans({.nan_canonicalization = false});
  Outcome injected = run_nans({});
  EXPECT_EQ(word(raw, 256), 0x7fe00001u);
  EXPECT_NE(word(raw, 256), word(injected, 256));
  EXPECT_EQ(word(raw, 304), word(injected, 304));
  EXPECT_EQ(word(raw, 516), 0x7fe00001u);
  EXPECT_EQ(word(raw, 540), 0xffc12345u);
}

}  // namespace
}  // namespace interstice::engine
