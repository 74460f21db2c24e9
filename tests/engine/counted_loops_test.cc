// Counted loops (counted_loops.h): which loops the rewriter charges once on
// entry, and that doing so charges exactly what one charge per iteration
// would, for every input: the iteration counts come from running the loops,
// checked against a C++ simulation with wrap-around, over inputs around 0,
// 2^(w-1) and 2^w, and loops that never end run out of fuel.
#include "engine/counted_loops.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/wasm_bytes.h"
#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

// The loops counted_loops::find accepts in the only function of `wat`.
std::map<size_t, counted_loops::CountedLoop> find_in(std::string_view wat) {
  auto wasm = wat_to_wasm(wat);
  EXPECT_TRUE(wasm.ok());
  // The code section is the last section of these modules: its one body.
  wasm_bytes::Reader in(*wasm);
  in.skip(8);
  std::span<const uint8_t> code;
  while (!in.at_end()) {
    uint8_t id = in.byte();
    std::span<const uint8_t> content = in.take(in.u32());
    if (id == 10) code = content;
  }
  wasm_bytes::Reader section(code);
  EXPECT_EQ(section.u32(), 1u);
  std::span<const uint8_t> body = section.take(section.u32());
  wasm_bytes::Reader locals(body);
  uint32_t groups = locals.u32();
  for (uint32_t i = 0; i < groups; ++i) {
    locals.u32();
    locals.byte();
  }
  return counted_loops::find(body, locals.position());
}

std::string loop_function(std::string_view type, std::string_view body) {
  return fmt::format(R"((module (func (param $n {0}) (param $s {0}) (local $i {0}) (local $x i32)
    {1})))",
                     type, body);
}

TEST(CountedLoops, FindsTheShapesCompilersEmit) {
  struct Case {
    std::string body;
    bool counted;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"(loop local.get $i i32.const 4 i32.add local.tee $i i32.const 64 i32.ne br_if 0)", true,
       "ne, constant step and bound"},
      {"(loop local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.ne br_if 0)", true,
       "ne, bound in a local"},
      {"(loop local.get $i i32.const -1 i32.add local.tee $i br_if 0)", true, "count down to 0"},
      {"(loop local.get $i local.get $s i32.add local.tee $i i32.const 100 i32.lt_u br_if 0)", true,
       "lt_u, step in a local"},
      {"(loop local.get $i i32.const 3 i32.add local.tee $i i32.const 100 i32.lt_u br_if 0)", true,
       "lt_u, constant step"},
      {"(loop local.get $i i32.const 12 i32.add local.tee $i i32.const 96 i32.ne br_if 0)", true,
       "ne with a step that is not a power of two"},
      {"(loop local.get $i i32.const 0 i32.add local.tee $i i32.const 96 i32.ne br_if 0)", false,
       "ne with a step of 0"},
      {"(loop local.get $i local.get $s i32.add local.tee $i i32.const 100 i32.ne br_if 0)", false,
       "ne with a step in a local"},
      {"(loop local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if 0)", false,
       "lt_u with a bound in a local"},
      {"(loop local.get $i i32.const 1 i32.add local.tee $i i32.const -1 i32.lt_u br_if 0)", false,
       "lt_u with a bound above 2^31"},
      {"(loop local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.lt_s br_if 0)", false,
       "lt_s"},
      {"(loop i32.const 0 local.set $i "
       "local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0)",
       false, "writes the counter"},
      {"(loop i32.const 0 local.set $n "
       "local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.ne br_if 0)",
       false, "writes the bound"},
      {"(block (loop local.get $x br_if 1 "
       "local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0))",
       false, "leaves early"},
      {"(loop local.get $x br_if 0 "
       "local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0)",
       false, "a second back edge"},
      {"(loop local.get $x if return end "
       "local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0)",
       false, "returns"},
      {"(loop (block local.get $x br_if 0) "
       "local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0)",
       true, "branches only inside the loop"},
      {"(loop local.get $i i32.const 1 i32.add local.tee $i i32.const 9 i32.ne br_if 0 "
       "i32.const 1 local.set $x)",
       false, "does more after the back edge"},
  };
  for (const Case& c : cases) {
    auto found = find_in(loop_function("i32", c.body));
    EXPECT_EQ(found.size(), c.counted ? 1u : 0u) << c.why;
  }
  auto wide = find_in(loop_function(
      "i64", "(loop local.get $i local.get $s i64.add local.tee $i i64.const 8 i64.lt_u br_if 0)"));
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_TRUE(wide.begin()->second.wide);
  EXPECT_EQ(wide.begin()->second.compare, counted_loops::Compare::LtU);
  EXPECT_TRUE(wide.begin()->second.step.is_local);
}

// The number of iterations of `loop { i += s } while (i cmp n)` from i0, in
// `bits`-bit arithmetic; nullopt beyond `cap`.
std::optional<uint64_t> simulate(int bits, bool lt_u, uint64_t i0, uint64_t s, uint64_t n,
                                 uint64_t cap) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t i = i0 & mask;
  for (uint64_t k = 1; k <= cap; ++k) {
    i = (i + s) & mask;
    bool again = lt_u ? i < (n & mask) : i != (n & mask);
    if (!again) return k;
  }
  return std::nullopt;
}

constexpr uint64_t kBudget = 1'000'000;
// The most iterations the budget pays for: 5 outside the loop, 12 each.
constexpr uint64_t kMostIterations = (kBudget - 5) / 12;

// Runs the loop for each input and checks the iterations it made, and the
// fuel: 5 outside the loop and 12 per iteration, as one charge per
// iteration would have it; a loop that runs for longer than the budget pays
// for (or never ends) must run out of fuel.
void check_loop(const std::shared_ptr<Engine>& engine, int bits, bool lt_u,
                std::optional<int64_t> constant_step, std::optional<int64_t> constant_bound,
                const std::vector<uint64_t>& values) {
  const char* t = bits == 64 ? "i64" : "i32";
  std::string step = constant_step ? fmt::format("{}.const {}", t, *constant_step) : "local.get $s";
  std::string bound =
      constant_bound ? fmt::format("{}.const {}", t, *constant_bound) : "local.get $n";
  std::string wat = fmt::format(R"((module
    (func (export "f") (param $i0 {0}) (param $s {0}) (param $n {0}) (result i64)
      (local $i {0}) (local $count i64)
      local.get $i0 local.set $i
      (loop
        local.get $count i64.const 1 i64.add local.set $count
        local.get $i {1} {0}.add local.tee $i {2} {0}.{3} br_if 0)
      local.get $count)))",
                                t, step, bound, lt_u ? "lt_u" : "ne");
  ASSERT_EQ(find_in(wat).size(), 1u) << wat;  // the rewriter charges it on entry
  auto instance = instantiate_wat(engine, wat);
  for (uint64_t i0 : values) {
    for (uint64_t s :
         constant_step ? std::vector<uint64_t>{static_cast<uint64_t>(*constant_step)} : values) {
      for (uint64_t n : constant_bound
                            ? std::vector<uint64_t>{static_cast<uint64_t>(*constant_bound)}
                            : values) {
        std::string what =
            fmt::format("{} {} i0={:#x} s={:#x} n={:#x}", t, lt_u ? "lt_u" : "ne", i0, s, n);
        std::optional<uint64_t> expected = simulate(bits, lt_u, i0, s, n, kMostIterations);
        std::vector<Value> args;
        if (bits == 64)
          args = {Value::i64(static_cast<int64_t>(i0)), Value::i64(static_cast<int64_t>(s)),
                  Value::i64(static_cast<int64_t>(n))};
        else
          args = {Value::i32(static_cast<int32_t>(i0)), Value::i32(static_cast<int32_t>(s)),
                  Value::i32(static_cast<int32_t>(n))};
        auto result = instance->call("f", args);
        if (!expected) {
          ASSERT_FALSE(result.ok()) << what;
          EXPECT_TRUE(engine::is_trap(result.error(), TrapKind::OutOfFuel)) << what;
          continue;
        }
        ASSERT_TRUE(result.ok()) << what << ": " << result.error().message;
        EXPECT_EQ(result->at(0), Value::i64(static_cast<int64_t>(*expected))) << what;
        EXPECT_EQ(instance->last_call_fuel(), 5 + 12 * *expected) << what;
      }
    }
  }
}

std::vector<uint64_t> edges(int bits) {
  const uint64_t top = bits == 64 ? ~uint64_t{0} : 0xffffffffu;
  const uint64_t half = uint64_t{1} << (bits - 1);
  return {0, 1, 2, 3, 7, 64, 100, 1000, half - 5, half, half + 3, top - 9, top - 1, top};
}

TEST(CountedLoops, ChargeExactlyWhatEachIterationWouldForEveryInput) {
  auto engine = make_engine({.fuel_per_call = kBudget});
  for (int bits : {32, 64}) {
    const std::vector<uint64_t> values = edges(bits);
    const int64_t half = int64_t{1} << (bits - 1);
    for (int64_t step : {1, 2, 16, 1 << 16, -1, -4, -(1 << 16), 3, 12, -12, 65535, -40}) {
      check_loop(engine, bits, false, step, 100, values);
      check_loop(engine, bits, false, step, std::nullopt, values);
      check_loop(engine, bits, false, step, 0, values);
    }
    for (int64_t bound : {int64_t{0}, int64_t{1}, int64_t{100}, half}) {
      for (int64_t step : {1, 3, 1 << 16}) check_loop(engine, bits, true, step, bound, values);
      check_loop(engine, bits, true, std::nullopt, bound, values);
    }
  }
}

}  // namespace
}  // namespace interstice::engine
