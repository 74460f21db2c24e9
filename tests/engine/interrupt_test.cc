// Another thread can stop a running call (epoch interruption); the instance
// is usable afterwards. This is for operator shutdown, separate from fuel.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/linker.h"
#include "support/engine_fixture.h"

namespace interstice::engine {
namespace {

TEST(Interrupt, StopsARunningCallFromAnotherThread) {
  auto engine = testing::make_engine({.fuel_per_call = UINT64_MAX / 2});
  auto instance = testing::instantiate_wat(engine, R"((module
    (func (export "spin") (loop br 0))
    (func (export "ok") (result i32) i32.const 5)))");
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    // Interrupt repeatedly until the call has returned, so the test does not
    // depend on the call having started before the first interrupt.
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      engine->interrupt();
    }
  });
  auto spin = instance->call("spin", {});
  done = true;
  stopper.join();
  ASSERT_FALSE(spin.ok());
  EXPECT_TRUE(engine::is_trap(spin.error(), TrapKind::Interrupted)) << spin.error().message;
  auto ok = instance->call("ok", {});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->at(0), Value::i32(5));
}

// A loop sees an interruption in its slow path, once a slice of fuel
// (instrumentation.cc, kFuelSlice) is spent; a call to a host function or
// to a function of the module must not hide it: after a host call the loop
// takes a fresh slice, and a module function looks at the floor on entry.
TEST(Interrupt, StopsLoopsThatCallTheHostOrTheModule) {
  auto engine = testing::make_engine({.fuel_per_call = UINT64_MAX / 2});
  Linker linker(engine);
  ASSERT_TRUE(linker.define("env", "tick", [](Caller&, int32_t x) { return x + 1; }).ok());
  auto instance = testing::instantiate_wat(engine, R"((module
    (import "env" "tick" (func $tick (param i32) (result i32)))
    (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func (export "spin_host") (local i32) (loop local.get 0 call $tick local.set 0 br 0))
    (func (export "spin_module") (local i32) (loop local.get 0 call $inc local.set 0 br 0))))",
                                           &linker);
  for (const char* name : {"spin_host", "spin_module"}) {
    std::atomic<bool> done{false};
    std::thread stopper([&] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        engine->interrupt();
      }
    });
    auto spin = instance->call(name, {});
    done = true;
    stopper.join();
    ASSERT_FALSE(spin.ok()) << name;
    EXPECT_TRUE(engine::is_trap(spin.error(), TrapKind::Interrupted))
        << name << ": " << spin.error().message;
  }
}

}  // namespace
}  // namespace interstice::engine
