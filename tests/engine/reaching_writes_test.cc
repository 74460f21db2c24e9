// NaN canonicalization follows the control flow to tell which writes of a
// local a read can see (reaching_writes.h): a NaN written on one path and
// read as bits after a join, a branch, a branch table or a loop's back edge
// must be canonical, exactly as Cranelift's canonicalization gives it, while
// a write that every path overwrites needs no check.
#include <gtest/gtest.h>

#include <string>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

// Each function takes a path number and returns the bits of local $x, read
// after control flow in which only some paths overwrite the NaN written into
// it (an f64 NaN with a payload at 0, plus one).
constexpr std::string_view kPaths = R"((module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\00\00\f4\7f")
  (func (export "if_else") (param $p i32) (result i64) (local $x f64)
    (if (local.get $p)
      (then (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1))))
      (else (local.set $x (f64.const 1))))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "if_without_else") (param $p i32) (result i64) (local $x f64)
    (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1)))
    (if (local.get $p) (then (local.set $x (f64.const 1))))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "br_if") (param $p i32) (result i64) (local $x f64)
    (block $out
      (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1)))
      (br_if $out (local.get $p))
      (local.set $x (f64.const 1)))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "br_table") (param $p i32) (result i64) (local $x f64)
    (block $b
      (block $a
        (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1)))
        (br_table $a $b (local.get $p)))
      (local.set $x (f64.const 1)))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "nested_br") (param $p i32) (result i64) (local $x f64)
    (block $outer
      (block $inner
        (local.set $x (f64.mul (f64.load (i32.const 0)) (f64.const 2)))
        (if (local.get $p) (then (br $outer)))
        (local.set $x (f64.const 1)))
      (nop))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "loop_back_edge") (param $p i32) (result i64) (local $x f64) (local $r i64)
    (local.set $x (f64.const 1))
    (loop $again
      (local.set $r (i64.reinterpret_f64 (local.get $x)))
      (local.set $x (f64.sub (f64.load (i32.const 0)) (f64.const 1)))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (br_if $again (i32.gt_s (local.get $p) (i32.const 0))))
    (local.get $r))
  (func (export "overwritten_everywhere") (param $p i32) (result i64) (local $x f64)
    (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1)))
    (if (local.get $p)
      (then (local.set $x (f64.const 2)))
      (else (local.set $x (f64.const 3))))
    (i64.reinterpret_f64 (local.get $x)))
  (func (export "returned_early") (param $p i32) (result i64) (local $x f64)
    (local.set $x (f64.add (f64.load (i32.const 0)) (f64.const 1)))
    (if (local.get $p) (then (return (i64.reinterpret_f64 (local.get $x)))))
    (local.set $x (f64.const 1))
    (i64.reinterpret_f64 (local.get $x))))
)";

constexpr const char* kFunctions[] = {
    "if_else",   "if_without_else", "br_if",          "br_table",
    "nested_br", "loop_back_edge",  "returned_early", "overwritten_everywhere"};

std::vector<int64_t> run_paths(EngineConfig config) {
  auto instance = instantiate_wat(make_engine(std::move(config)), kPaths);
  std::vector<int64_t> bits;
  for (const char* function : kFunctions) {
    for (int32_t path : {0, 1, 2}) {
      auto result = instance->call(function, std::vector<Value>{Value::i32(path)});
      EXPECT_TRUE(result.ok()) << function << ": " << result.error().message;
      bits.push_back(result.ok() ? std::get<int64_t>(result->at(0).v) : 0);
    }
  }
  return bits;
}

constexpr int64_t kCanonical = 0x7ff8000000000000;

TEST(ReachingWrites, NaNsSeenAfterControlFlowAreCanonical) {
  std::vector<int64_t> injected = run_paths({});
  std::vector<int64_t> cranelift = run_paths({.wasmtime_fuel = true});
  ASSERT_EQ(injected.size(), std::size(kFunctions) * 3);
  for (size_t i = 0; i < injected.size(); ++i)
    EXPECT_EQ(injected[i], cranelift[i]) << kFunctions[i / 3] << " on path " << i % 3;
  // Every function sees the NaN on some path (but the last, which never does).
  for (size_t f = 0; f + 1 < std::size(kFunctions); ++f) {
    bool seen = false;
    for (int path = 0; path < 3; ++path) seen |= injected[f * 3 + path] == kCanonical;
    EXPECT_TRUE(seen) << kFunctions[f];
  }
}

TEST(ReachingWrites, TheTestSeesNaNsThatAreNotCanonical) {
  std::vector<int64_t> raw = run_paths({.nan_canonicalization = false});
  int raw_nans = 0;
  for (int64_t bits : raw) raw_nans += bits == 0x7ffc000000000001;
  EXPECT_GE(raw_nans, 7);
}

}  // namespace
}  // namespace interstice::engine
