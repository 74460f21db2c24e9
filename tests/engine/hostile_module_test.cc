// Malformed, truncated and hostile modules get a clear error or a trap and
// never crash, hang or exhaust the host.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "support/engine_fixture.h"
#include "support/wasm_builder.h"

namespace interstice::engine {
namespace {

using interstice::testing::module_with_body;
using interstice::testing::put_leb;
using interstice::testing::put_section;
using interstice::testing::wasm_header;
using testing::compile_wat;
using testing::instantiate_wat;
using testing::make_engine;

std::vector<uint8_t> read_demo_module() {
  std::ifstream in(INTERSTICE_MODULE_DIR "/demo.wasm", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

TEST(HostileModule, GarbageIsRejectedWithTheModuleName) {
  auto engine = make_engine();
  std::vector<uint8_t> garbage{'n', 'o', 't', ' ', 'w', 'a', 's', 'm'};
  auto module = engine->load(garbage, "junk.wasm");
  ASSERT_FALSE(module.ok());
  EXPECT_TRUE(module.error().message.starts_with("junk.wasm: failed to parse WebAssembly module"))
      << module.error().message;
  auto empty = engine->load({}, "empty.wasm");
  ASSERT_FALSE(empty.ok());
  std::vector<uint8_t> bad_version{0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00};
  EXPECT_FALSE(engine->load(bad_version, "v2").ok());
}

// Offsets where a section ends (and the 8-byte header): cutting a module
// there leaves a shorter valid module; anywhere else the cut is malformed.
std::set<size_t> section_boundaries(const std::vector<uint8_t>& wasm) {
  std::set<size_t> ends{8};
  size_t pos = 8;
  while (pos < wasm.size()) {
    pos++;  // section id
    uint64_t size = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t byte = wasm[pos++];
      size |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    pos += size;
    ends.insert(pos);
  }
  return ends;
}

TEST(HostileModule, EveryTruncationOfARealModuleIsRejectedUnlessWhole) {
  auto engine = make_engine();
  std::vector<uint8_t> wasm = read_demo_module();
  ASSERT_GT(wasm.size(), 100u);
  ASSERT_TRUE(engine->load(wasm, "demo").ok());
  std::set<size_t> boundaries = section_boundaries(wasm);
  // The code section is not the last: some cuts must be valid, most not.
  ASSERT_GT(boundaries.size(), 4u);
  for (size_t length = 0; length < wasm.size(); ++length) {
    std::span<const uint8_t> prefix(wasm.data(), length);
    auto module = engine->load(prefix, "truncated");
    bool whole_sections = boundaries.count(length) > 0;
    if (module.ok()) {
      EXPECT_TRUE(whole_sections) << "a cut inside a section, at " << length << ", was accepted";
    } else {
      EXPECT_TRUE(module.error().message.starts_with("truncated: ")) << module.error().message;
    }
  }
}

TEST(HostileModule, HugeDeclaredMemoryIsRefusedAtInstantiation) {
  auto engine = make_engine();
  Module module = compile_wat(*engine, "(module (memory 65536))");  // 4 GiB
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.error().message.find("instantiation failed"), std::string::npos)
      << instance.error().message;
}

TEST(HostileModule, HugeDeclaredTableIsRefusedAtInstantiation) {
  auto engine = make_engine();
  Module module = compile_wat(*engine, "(module (table 50000000 funcref))");
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.error().message.find("instantiation failed"), std::string::npos);
}

TEST(HostileModule, AbsurdCountsInSectionsAreRejectedWithoutAllocating) {
  auto engine = make_engine();
  std::vector<uint8_t> wasm = wasm_header();
  std::vector<uint8_t> types;
  put_leb(types, 0xffffffffu);  // claims 4 billion types, has none
  put_section(wasm, 1, types);
  EXPECT_FALSE(engine->load(wasm, "absurd").ok());

  std::vector<uint8_t> locals = wasm_header();
  put_section(locals, 1, {0x01, 0x60, 0x00, 0x00});
  put_section(locals, 3, {0x01, 0x00});
  std::vector<uint8_t> body{0x01};  // one group of locals ...
  put_leb(body, 0xffffffffu);       // ... of 4 billion i32s
  body.push_back(0x7f);
  body.push_back(0x0b);
  std::vector<uint8_t> code{0x01};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  put_section(locals, 10, code);
  auto module = engine->load(locals, "locals");
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.error().message.find("locals"), std::string::npos) << module.error().message;
}

TEST(HostileModule, DeepNestingCompilesOrFailsCleanly) {
  auto engine = make_engine();
  for (size_t depth : {1'000u, 100'000u, 1'000'000u}) {
    std::vector<uint8_t> body;
    for (size_t i = 0; i < depth; ++i) body.insert(body.end(), {0x02, 0x40});  // block
    body.insert(body.end(), depth, 0x0b);                                      // end
    auto module = engine->load(module_with_body(body), "nested");
    if (!module.ok()) {
      EXPECT_FALSE(module.error().message.empty());
      continue;
    }
    Linker linker(engine);
    auto instance = Instance::create(linker, *module);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    EXPECT_TRUE((*instance)->call("run", {}).ok()) << "depth " << depth;
  }
}

TEST(HostileModule, MemoryBombGetsFailedGrowNotHostMemory) {
  auto engine = make_engine();
  InstanceOptions options;
  options.limits.max_memory_bytes = 16 << 20;  // 256 pages
  auto instance = instantiate_wat(engine, R"((module
    (memory 1)
    (func (export "bomb") (result i32) (local i32)
      (block (loop
        i32.const 1 memory.grow i32.const -1 i32.eq br_if 1
        local.get 0 i32.const 1 i32.add local.set 0
        br 0))
      memory.size)
    (func (export "huge") (result i32) i32.const 65535 memory.grow)))",
                                  nullptr, options);
  auto pages = instance->call("bomb", {});
  ASSERT_TRUE(pages.ok()) << pages.error().message;
  EXPECT_EQ(pages->at(0), Value::i32(256));
  EXPECT_LE(instance->memory().size(), 16u << 20);
  auto huge = instance->call("huge", {});
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->at(0), Value::i32(-1));
}

TEST(HostileModule, TableBombGetsFailedGrow) {
  auto engine = make_engine();
  InstanceOptions options;
  options.limits.max_table_elements = 1000;
  auto instance = instantiate_wat(engine, R"((module
    (table 10 funcref)
    (func (export "grow") (result i32) ref.null func i32.const 100000 table.grow 0)))",
                                  nullptr, options);
  auto grown = instance->call("grow", {});
  ASSERT_TRUE(grown.ok()) << grown.error().message;
  EXPECT_EQ(grown->at(0), Value::i32(-1));
}

TEST(HostileModule, DataSegmentOutOfBoundsFailsInstantiation) {
  auto engine = make_engine();
  Module module =
      compile_wat(*engine, R"((module (memory 1) (data (i32.const 65530) "0123456789")))");
  Linker linker(engine);
  auto instance = Instance::create(linker, module);
  ASSERT_FALSE(instance.ok());
  EXPECT_TRUE(engine::is_trap(instance.error(), TrapKind::MemoryOutOfBounds))
      << instance.error().message;
}

TEST(HostileModule, EndlessLoopAndRecursionAreStopped) {
  auto engine = make_engine({.fuel_per_call = 5'000'000});
  auto instance = instantiate_wat(engine, R"((module
    (func (export "loop") (loop br 0))
    (func $r (export "recurse") call $r)))");
  auto loop = instance->call("loop", {});
  EXPECT_TRUE(engine::is_trap(loop.error(), TrapKind::OutOfFuel));
  auto recursion = instance->call("recurse", {});
  EXPECT_TRUE(engine::is_trap(recursion.error(), TrapKind::StackOverflow) ||
              engine::is_trap(recursion.error(), TrapKind::OutOfFuel))
      << recursion.error().message;
}

}  // namespace
}  // namespace interstice::engine
