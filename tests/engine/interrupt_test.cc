// Another thread can stop a running call (epoch interruption); the instance
// is usable afterwards. This is for operator shutdown, separate from fuel.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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
  EXPECT_TRUE(spin.error().is_trap(TrapKind::Interrupted)) << spin.error().message;
  auto ok = instance->call("ok", {});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->at(0), Value::i32(5));
}

}  // namespace
}  // namespace interstice::engine
