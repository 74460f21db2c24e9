// The compiled-module cache: hits, and damaged or stale entries detected and
// recompiled rather than trusted.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/module_cache.h"
#include "support/engine_fixture.h"
#include "support/temp_dir.h"

namespace interstice::engine {
namespace {

using interstice::testing::TempDir;
using testing::make_engine;

constexpr std::string_view kModule =
    R"((module (func (export "answer") (result i32) i32.const 42)))";

class ModuleCacheTest : public ::testing::Test {
 protected:
  EngineConfig config() const {
    EngineConfig config;
    config.cache_dir = dir_.path();
    return config;
  }

  // Loads kModule on a fresh engine; checks it runs; returns from_cache().
  bool load_and_run(EngineConfig cfg) {
    auto engine = make_engine(cfg);
    auto module = engine->load(wasm_, "cached");
    EXPECT_TRUE(module.ok()) << module.error().message;
    Linker linker(engine);
    auto instance = Instance::create(linker, *module);
    auto answer = (*instance)->call("answer", {});
    EXPECT_TRUE(answer.ok());
    EXPECT_EQ(answer->at(0), Value::i32(42));
    return module->from_cache();
  }

  std::filesystem::path only_entry() const {
    std::vector<std::filesystem::path> entries;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
      entries.push_back(e.path());
    EXPECT_EQ(entries.size(), 1u);
    return entries.empty() ? std::filesystem::path{} : entries[0];
  }

  TempDir dir_;
  std::vector<uint8_t> wasm_ = std::move(wat_to_wasm(kModule)).value();
};

TEST_F(ModuleCacheTest, SecondLoadComesFromTheCache) {
  EXPECT_FALSE(load_and_run(config()));
  EXPECT_TRUE(load_and_run(config()));
  EXPECT_EQ(only_entry().extension(), ".cwasm");
}

TEST_F(ModuleCacheTest, FlippedByteIsDetectedAndRecompiled) {
  ASSERT_FALSE(load_and_run(config()));
  std::filesystem::path entry = only_entry();
  std::fstream file(entry, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(std::filesystem::file_size(entry) / 2));
  char byte = 0;
  file.read(&byte, 1);
  file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(entry) / 2));
  byte ^= 0x10;
  file.write(&byte, 1);
  file.close();
  EXPECT_FALSE(load_and_run(config()));  // recompiled, and the entry rewritten
  EXPECT_TRUE(load_and_run(config()));
}

TEST_F(ModuleCacheTest, TruncatedEntryIsRecompiled) {
  ASSERT_FALSE(load_and_run(config()));
  std::filesystem::path entry = only_entry();
  std::filesystem::resize_file(entry, std::filesystem::file_size(entry) - 100);
  EXPECT_FALSE(load_and_run(config()));
  EXPECT_TRUE(load_and_run(config()));
  std::filesystem::resize_file(entry, 10);  // not even a header
  EXPECT_FALSE(load_and_run(config()));
}

TEST_F(ModuleCacheTest, IntactHeaderWithForeignPayloadIsRejectedByWasmtime) {
  ModuleCache cache(dir_.path(), config().code_fingerprint());
  std::vector<uint8_t> garbage(4096, 0xcc);
  std::string problem;
  ASSERT_TRUE(cache.write(cache.key_for(wasm_), garbage, &problem)) << problem;
  EXPECT_FALSE(load_and_run(config()));  // checksum fine, but wasmtime refuses: recompiled
  EXPECT_TRUE(load_and_run(config()));
}

TEST_F(ModuleCacheTest, DifferentEngineSettingsDoNotShareEntries) {
  ASSERT_FALSE(load_and_run(config()));
  EngineConfig no_nan = config();
  no_nan.nan_canonicalization = false;
  EXPECT_FALSE(load_and_run(no_nan));
  EngineConfig other_stack = config();
  other_stack.max_wasm_stack = 256 * 1024;
  EXPECT_FALSE(load_and_run(other_stack));
  EXPECT_TRUE(load_and_run(config()));
}

TEST_F(ModuleCacheTest, UnwritableCacheStillLoads) {
  EngineConfig cfg = config();
  cfg.cache_dir = dir_.path() / "file-not-dir";
  std::ofstream(cfg.cache_dir) << "x";
  EXPECT_FALSE(load_and_run(cfg));
  EXPECT_FALSE(load_and_run(cfg));
}

}  // namespace
}  // namespace interstice::engine
