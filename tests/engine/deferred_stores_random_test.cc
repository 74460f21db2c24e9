// Random straight-line programs of float arithmetic, loads and stores over a
// few hundred bytes of memory seeded with NaNs of every kind, run with the
// injected canonicalization (deferred store checks included) and with
// Cranelift's: the memories must end bit for bit the same. The addresses mix
// two parameters (equal, overlapping or apart at run time, which the
// rewriter cannot know), constants and displacements, so stores and loads
// overlap in every way: the same place, part of it, another width. Two
// locals hold multiples of 8 and 4 made from the parameters, moved (on some
// paths only, and once out of alignment) between the stores, so that
// accesses the rewriter knows to be the same place or apart by alignment
// (address_alignment.h) meet at run time too. Ifs and blocks left early put
// writes of locals on some paths only.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

class ProgramWriter {
 public:
  explicit ProgramWriter(uint32_t seed) : rng_(seed) {}

  std::string module() {
    std::string body;
    for (int i = 0; i < 40; ++i) body += statement(0);
    // Memory from 0 to 512: NaNs with payloads (f64 and f32), infinities,
    // zeros and numbers, in turn.
    static const char* kSeed =
        R"("\01\00\00\00\00\00\f4\7f" "\01\00\a0\7f\45\23\c1\ff" "\00\00\00\00\00\00\f0\7f" )"
        R"("\00\00\00\00\00\00\f0\ff" "\00\00\00\00\00\00\00\00" "\00\00\00\00\00\00\f0\3f" )"
        R"("\ff\ff\ff\ff\ff\ff\ff\7f" "\00\00\80\7f\00\00\80\ff")";
    std::string seeds;
    for (int at = 0; at < 512; at += 64)
      seeds += "(data (i32.const " + std::to_string(at) + ") " + kSeed + ")\n";
    return R"((module
      (memory (export "memory") 1)
      )" + seeds +
           R"(
      (func $nop)
      (func (export "run") (param $p i32) (param $q i32) (local $t f64) (local $u f32)
        (local $a i32) (local $b i32)
        (local.set $a (i32.and (local.get $p) (i32.const -8)))
        (local.set $b (i32.shl (i32.shr_u (local.get $q) (i32.const 2)) (i32.const 2)))
        )" +
           body +
           R"()
    ))";
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string address() {
    int displacement = 4 * pick(8);
    switch (pick(8)) {
      case 0:
        return "(i32.const " + std::to_string(4 * pick(60)) + ")";
      case 1:
        return "(local.get $q)";
      case 2:  // the sum of two locals, which the check computes again
        return "(i32.add (i32.add (local.get $" + std::string(pick(2) ? "a" : "b") +
               ") (local.get $q)) (i32.const " + std::to_string(displacement - 64) + "))";
      case 3:  // multiples of 8 and of 4 (address_alignment.h), some written on some paths only
      case 4:
        return "(i32.add (local.get $" + std::string(pick(2) ? "a" : "b") + ") (i32.const " +
               std::to_string(displacement) + "))";
      default:
        return "(i32.add (local.get $" + std::string(pick(2) ? "p" : "q") + ") (i32.const " +
               std::to_string(displacement) + "))";
    }
  }

  std::string memarg() { return pick(2) ? "" : " offset=" + std::to_string(4 * pick(4)); }

  std::string constant(bool f64) {
    static const char* kConstants[] = {"0", "-0", "1", "-2.5", "inf", "-inf", "nan", "nan:0x4"};
    std::string type = f64 ? "f64" : "f32";
    return "(" + type + ".const " + kConstants[pick(8)] + ")";
  }

  std::string value(bool f64, int depth) {
    std::string type = f64 ? "f64" : "f32";
    switch (depth > 2 ? pick(2) : pick(8)) {
      case 0:
        return "(" + type + ".load" + memarg() + " " + address() + ")";
      case 1:
        return constant(f64);
      case 2:
      case 3:
      case 4: {
        static const char* kOps[] = {"add", "sub", "mul", "div", "min", "max"};
        return "(" + type + "." + kOps[pick(6)] + " " + value(f64, depth + 1) + " " +
               value(f64, depth + 1) + ")";
      }
      case 5:
        return "(" + type + ".sqrt " + value(f64, depth + 1) + ")";
      case 6:
        return f64 ? "(f64.promote_f32 " + value(false, depth + 1) + ")"
                   : "(f32.demote_f64 " + value(true, depth + 1) + ")";
      default:
        return f64 ? "(local.get $t)" : "(local.get $u)";
    }
  }

  std::string statement(int depth) {
    bool f64 = pick(3) != 0;
    std::string type = f64 ? "f64" : "f32";
    switch (depth > 0 ? pick(6) : pick(12)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return "(" + type + ".store" + memarg() + " " + address() + " " + value(f64, 0) + ")\n";
      case 4:
        return "(i64.store" + memarg() + " " + address() + " (i64.load" + memarg() + " " +
               address() + "))\n";
      case 5:
        return "(i32.store " + address() + " (i32.reinterpret_f32 " + value(false, 0) + "))\n";
      case 6:
        return "(" + type + ".store " + address() + " (" + type + ".load " + address() + "))\n";
      case 7:
        return "(call $nop)\n";
      case 8:
        if (pick(2) == 0) {
          static const char* kMoves[] = {
              "(local.set $a (i32.add (local.get $a) (i32.const 4)))",  // a multiple of 4 only
              "(local.set $a (i32.add (local.get $a) (i32.const 8)))",
              "(local.set $a (i32.and (local.get $q) (i32.const -16)))",
              "(local.set $a (i32.mul (local.get $b) (i32.const 2)))",
              "(local.set $b (i32.add (local.get $b) (i32.const 4)))",
              "(local.set $b (i32.sub (local.get $a) (i32.const 12)))",
              "(local.set $b (i32.add (local.get $b) (i32.const 2)))",  // no longer a multiple
          };
          std::string move = kMoves[pick(7)];
          if (pick(2)) return "(if (i32.eq (local.get $p) (local.get $q)) (then " + move + "))\n";
          return move + "\n";
        }
        if (pick(2)) return "(if (local.get $p) (then " + statement(depth + 1) + "))\n";
        return "(block (br_if 0 (i32.eq (local.get $p) (local.get $q))) " + statement(depth + 1) +
               ")\n";
      case 9:
      case 10: {  // a store, then a float read back from an aligned place near it
        auto aligned = [&] {
          return "(i32.add (local.get $" + std::string(pick(2) ? "a" : "b") + ") (i32.const " +
                 std::to_string(4 * pick(4)) + "))";
        };
        return "(" + type + ".store" + memarg() + " " + aligned() + " " + value(f64, 1) + ")\n(" +
               type + ".store" + memarg() + " " + address() + " (" + type + ".mul (" + type +
               ".load" + memarg() + " " + aligned() + ") " + value(f64, 2) + "))\n";
      }
      default:
        return f64 ? "(local.set $t " + value(true, 0) + ")\n"
                   : "(local.set $u " + value(false, 0) + ")\n";
    }
  }

  std::mt19937 rng_;
};

std::vector<uint8_t> run_program(const std::shared_ptr<Engine>& engine, const std::string& wat,
                                 int32_t p, int32_t q) {
  auto instance = instantiate_wat(engine, wat);
  if (!instance) return {};
  auto ran = instance->call("run", std::vector<Value>{Value::i32(p), Value::i32(q)});
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  auto bytes = instance->memory().bytes(0, 512);
  if (!bytes) return {};
  return {bytes->begin(), bytes->end()};
}

TEST(DeferredStoresRandom, ProgramsEndWithTheMemoryCraneliftGives) {
  auto injected = make_engine();
  auto cranelift = make_engine({.wasmtime_fuel = true});
  auto raw = make_engine({.nan_canonicalization = false});
  const std::pair<int32_t, int32_t> kPlaces[] = {{64, 64}, {64, 68}, {64, 72}, {96, 64}};
  int differs_without_canonicalization = 0;
  for (uint32_t seed = 1; seed <= 250; ++seed) {
    std::string wat = ProgramWriter(seed).module();
    for (auto [p, q] : kPlaces) {
      std::vector<uint8_t> got = run_program(injected, wat, p, q);
      std::vector<uint8_t> want = run_program(cranelift, wat, p, q);
      ASSERT_EQ(got.size(), 512u);
      ASSERT_EQ(got, want) << "seed " << seed << ", p " << p << ", q " << q << "\n" << wat;
      differs_without_canonicalization += run_program(raw, wat, p, q) != want;
    }
  }
  // The programs do make NaNs that canonicalization must fix.
  EXPECT_GT(differs_without_canonicalization, 100);
}

}  // namespace
}  // namespace interstice::engine
