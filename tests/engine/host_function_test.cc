// Host functions: typed registration, memory access through bounds-checked
// views, and failures (a throwing host callable) turned into traps.
#include <gtest/gtest.h>

#include <string>

#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

using testing::instantiate_wat;
using testing::make_engine;

struct Recorder {
  std::string logged;
  int calls = 0;
};

constexpr std::string_view kUsesHost = R"((module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32) (result i32)))
  (import "env" "fail" (func $fail (param i32)))
  (import "env" "scale" (func $scale (param i64 f64) (result f64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello, host")
  (func (export "sum") (param i32 i32) (result i32) local.get 0 local.get 1 call $add)
  (func (export "log") (param i32 i32) (result i32) local.get 0 local.get 1 call $log)
  (func (export "fail") (param i32) local.get 0 call $fail)
  (func (export "scale") (result f64) i64.const 3 f64.const 1.5 call $scale)
  (func (export "fail_then_continue") (result i32)
    i32.const 1 call $fail i32.const 99)
))";

class HostFunctionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = make_engine();
    linker_ = std::make_unique<Linker>(engine_);
    ASSERT_TRUE(linker_
                    ->define("env", "add",
                             [](Caller& caller, int32_t a, int32_t b) {
                               static_cast<Recorder*>(caller.instance().user_data())->calls++;
                               return a + b;
                             })
                    .ok());
    ASSERT_TRUE(
        linker_
            ->define("env", "log",
                     [](Caller& caller, uint32_t ptr, uint32_t len) -> int32_t {
                       auto text = caller.memory().string(ptr, len);
                       if (!text)
                         return -1;  // out of bounds: an error for the module, not a host read
                       static_cast<Recorder*>(caller.instance().user_data())->logged =
                           std::string(*text);
                       return 0;
                     })
            .ok());
    ASSERT_TRUE(linker_
                    ->define("env", "fail",
                             [](Caller&, int32_t how) {
                               if (how == 1) throw HostError("the host refused");
                               if (how == 2) throw 42;  // not a std::exception
                               throw std::runtime_error("plain runtime error");
                             })
                    .ok());
    ASSERT_TRUE(
        linker_
            ->define("env", "scale",
                     [](Caller&, int64_t n, double f) { return static_cast<double>(n) * f; })
            .ok());
    InstanceOptions options;
    options.user_data = &recorder_;
    instance_ = instantiate_wat(engine_, kUsesHost, linker_.get(), options);
  }

  std::shared_ptr<Engine> engine_;
  std::unique_ptr<Linker> linker_;
  std::unique_ptr<Instance> instance_;
  Recorder recorder_;
};

TEST_F(HostFunctionTest, CallsTypedHostFunction) {
  auto sum = instance_->typed<int32_t(int32_t, int32_t)>("sum");
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*(*sum)(20, 22), 42);
  EXPECT_EQ(*(*sum)(-1, -1), -2);
  EXPECT_EQ(recorder_.calls, 2);
  auto scale = instance_->typed<double()>("scale");
  EXPECT_EQ(*(*scale)(), 4.5);
}

TEST_F(HostFunctionTest, ReadsGuestMemoryThroughCheckedView) {
  auto log = instance_->typed<int32_t(uint32_t, uint32_t)>("log");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(*(*log)(100, 11), 0);
  EXPECT_EQ(recorder_.logged, "hello, host");
  EXPECT_EQ(*(*log)(65530, 6), 0);            // ends exactly at the end of memory
  EXPECT_EQ(*(*log)(65530, 7), -1);           // one byte past the end
  EXPECT_EQ(*(*log)(0xfffffff0u, 0x20), -1);  // wraps around 32 bits
  EXPECT_EQ(*(*log)(65536, 0), 0);            // empty at the very end is fine
}

TEST_F(HostFunctionTest, ThrowingHostFunctionTrapsTheModule) {
  std::vector<Value> refuse{Value::i32(1)};
  auto refused = instance_->call("fail", refuse);
  ASSERT_FALSE(refused.ok());
  ASSERT_TRUE(engine::is_trap(refused.error(), TrapKind::Host)) << refused.error().message;
  EXPECT_EQ(engine::trap_of(refused.error())->message, "the host refused");
  EXPECT_EQ(refused.error().message, "module 'test': host error: the host refused");
  ASSERT_FALSE(engine::trap_of(refused.error())->backtrace.empty());

  std::vector<Value> odd{Value::i32(2)};
  auto odd_throw = instance_->call("fail", odd);
  ASSERT_TRUE(engine::is_trap(odd_throw.error(), TrapKind::Host));
  EXPECT_EQ(engine::trap_of(odd_throw.error())->message,
            "host function threw a non-standard exception");

  std::vector<Value> runtime{Value::i32(3)};
  auto runtime_error = instance_->call("fail", runtime);
  EXPECT_EQ(engine::trap_of(runtime_error.error())->message, "plain runtime error");

  // The wasm code after the failing host call never runs, and the instance
  // still works for the next call.
  auto after = instance_->call("fail_then_continue", {});
  ASSERT_FALSE(after.ok());
  auto sum = instance_->typed<int32_t(int32_t, int32_t)>("sum");
  EXPECT_EQ(*(*sum)(1, 2), 3);
}

TEST_F(HostFunctionTest, WrongImportSignatureFailsInstantiation) {
  Module module = testing::compile_wat(
      *engine_, R"((module (import "env" "add" (func (param i64) (result i32)))))", "bad_import");
  auto instance = Instance::create(*linker_, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.error().message.find("module 'bad_import': instantiation failed"),
            std::string::npos)
      << instance.error().message;
  EXPECT_FALSE(engine::is_trap(instance.error()));
}

TEST_F(HostFunctionTest, MissingImportFailsInstantiation) {
  Module module = testing::compile_wat(*engine_, R"((module (import "env" "missing" (func))))",
                                       "missing_import");
  auto instance = Instance::create(*linker_, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.error().message.find("missing"), std::string::npos)
      << instance.error().message;
}

TEST_F(HostFunctionTest, DuplicateDefinitionIsAnError) {
  auto again = linker_->define("env", "add", [](Caller&, int32_t a, int32_t b) { return a - b; });
  EXPECT_FALSE(again.ok());
}

TEST(MemoryView, ChecksBoundsWith64BitArithmetic) {
  uint8_t buffer[16] = {1, 2, 3, 4};
  MemoryView view(buffer, sizeof buffer);
  EXPECT_TRUE(view.bytes(0, 16).has_value());
  EXPECT_FALSE(view.bytes(1, 16).has_value());
  EXPECT_FALSE(view.bytes(UINT64_MAX, 2).has_value());
  EXPECT_FALSE(view.bytes(2, UINT64_MAX).has_value());
  EXPECT_EQ(view.load<uint32_t>(0), 0x04030201u);
  EXPECT_FALSE(view.load<uint32_t>(13).has_value());
  EXPECT_TRUE(view.store<uint32_t>(12, 7));
  EXPECT_FALSE(view.store<uint32_t>(13, 7));
  MemoryView empty;
  EXPECT_FALSE(empty.bytes(0, 1).has_value());
  EXPECT_TRUE(empty.bytes(0, 0).has_value());
}

}  // namespace
}  // namespace interstice::engine

namespace interstice::engine {
namespace {

TEST(ConstantHostFunction, ReturnsItsValuesForAnySignature) {
  auto engine = testing::make_engine();
  Linker linker(engine);
  FunctionSignature sig{{ValueType::I32, ValueType::I64}, {ValueType::I32}};
  ASSERT_TRUE(linker.define_constant("wasi", "stub", sig, {Value::i32(52)}).ok());
  EXPECT_FALSE(linker.define_constant("wasi", "bad", sig, {}).ok());  // wrong result count
  auto instance = testing::instantiate_wat(engine, R"((module
    (import "wasi" "stub" (func $stub (param i32 i64) (result i32)))
    (func (export "call") (result i32) i32.const 1 i64.const 2 call $stub)))",
                                           &linker);
  auto result = instance->call("call", {});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->at(0), Value::i32(52));
}

}  // namespace
}  // namespace interstice::engine

namespace interstice::engine {
namespace {

// Calls the host `n` times in a loop.
constexpr std::string_view kHostLoop = R"((module
  (import "env" "tick" (func $tick))
  (func (export "ticks") (param $n i32)
    (block $done
      (loop $next
        local.get $n
        i32.eqz
        br_if $done
        call $tick
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $next)))))";

Result<std::vector<Value>> ticks_call(Instance& instance, int32_t n) {
  std::vector<Value> args{Value::i32(n)};
  return instance.call("ticks", args);
}

// Host calls are charged to the call's fuel, with either kind of metering:
// a loop of host calls is bounded by the budget like any loop, and the call
// that cannot pay traps out of fuel (not a host error) before the host runs.
// Charges not settled when the call ends still count in last_call_fuel.
TEST(HostCallFuel, EachHostCallIsChargedAndTheBudgetBoundsThem) {
  for (bool wasmtime_fuel : {false, true}) {
    SCOPED_TRACE(wasmtime_fuel ? "wasmtime fuel" : "injected metering");
    auto engine = testing::make_engine(
        {.fuel_per_call = 100'000, .wasmtime_fuel = wasmtime_fuel, .host_call_fuel = 1000});
    Linker linker(engine);
    int ticks = 0;
    ASSERT_TRUE(linker.define("env", "tick", [&ticks](Caller&) { ++ticks; }).ok());
    auto instance = testing::instantiate_wat(engine, kHostLoop, &linker);
    ASSERT_TRUE(ticks_call(*instance, 0).ok());
    uint64_t no_ticks = instance->last_call_fuel();
    ASSERT_TRUE(ticks_call(*instance, 10).ok());
    uint64_t ten_ticks = instance->last_call_fuel();
    EXPECT_GE(ten_ticks, no_ticks + 10 * 1000);
    EXPECT_LT(ten_ticks, no_ticks + 10 * 1000 + 10 * 50);  // the loop's own instructions
    EXPECT_EQ(ticks, 10);

    ticks = 0;
    auto endless = ticks_call(*instance, 1'000'000);
    ASSERT_FALSE(endless.ok());
    EXPECT_TRUE(engine::is_trap(endless.error(), TrapKind::OutOfFuel)) << endless.error().message;
    // 100,000 fuel pays for fewer than 100 host calls; charges are settled
    // every kHostCallBatch calls, so the one that cannot pay comes a little later.
    EXPECT_LT(ticks, 100 + static_cast<int>(Instance::kHostCallBatch));
    EXPECT_GT(ticks, 90);
    EXPECT_EQ(instance->last_call_fuel(), 100'000u);
    ASSERT_TRUE(ticks_call(*instance, 3).ok());  // the next call is paid anew
  }
}

TEST(HostCallFuel, NothingIsChargedWithFuelOff) {
  auto engine = testing::make_engine({.consume_fuel = false, .host_call_fuel = 1000});
  Linker linker(engine);
  int ticks = 0;
  ASSERT_TRUE(linker.define("env", "tick", [&ticks](Caller&) { ++ticks; }).ok());
  auto instance = testing::instantiate_wat(engine, kHostLoop, &linker);
  ASSERT_TRUE(ticks_call(*instance, 100'000).ok());
  EXPECT_EQ(ticks, 100'000);
}

}  // namespace
}  // namespace interstice::engine
