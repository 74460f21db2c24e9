// Helpers shared by the engine tests: compile WAT text and instantiate it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

namespace interstice::engine::testing {

inline std::shared_ptr<Engine> make_engine(EngineConfig config = {}) {
  auto engine = Engine::create(std::move(config));
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  return std::move(engine).value();
}

inline Module compile_wat(Engine& engine, std::string_view wat, std::string_view name = "test") {
  auto wasm = wat_to_wasm(wat);
  EXPECT_TRUE(wasm.ok()) << wasm.error().message;
  auto module = engine.load(*wasm, name);
  EXPECT_TRUE(module.ok()) << module.error().message;
  return std::move(module).value();
}

// Compiles and instantiates `wat` against `linker` (or an empty one).
inline std::unique_ptr<Instance> instantiate_wat(const std::shared_ptr<Engine>& engine,
                                                 std::string_view wat,
                                                 const Linker* linker = nullptr,
                                                 InstanceOptions options = {}) {
  Module module = compile_wat(*engine, wat);
  Linker empty(engine);
  auto instance = Instance::create(linker ? *linker : empty, module, options);
  EXPECT_TRUE(instance.ok()) << instance.error().message;
  return std::move(instance).value();
}

}  // namespace interstice::engine::testing
