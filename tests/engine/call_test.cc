#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

namespace interstice::engine {
namespace {

TEST(Call, AddsTwoNumbers) {
  auto engine = Engine::create();
  ASSERT_TRUE(engine.ok());
  auto wasm = wat_to_wasm(R"((module (func (export "add") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.add)))");
  ASSERT_TRUE(wasm.ok()) << wasm.error().message;
  auto module = (*engine)->load(*wasm, "add");
  ASSERT_TRUE(module.ok()) << module.error().message;
  Linker linker(*engine);
  auto instance = Instance::create(linker, *module);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  std::vector<Value> args{Value::i32(2), Value::i32(40)};
  auto result = (*instance)->call("add", args);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->at(0), Value::i32(42));
}

}  // namespace
}  // namespace interstice::engine
