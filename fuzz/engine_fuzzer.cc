// libFuzzer target: arbitrary bytes through the engine layer. Compiles them,
// instantiates with every import stubbed as a trap, and calls every exported
// function with zero-valued arguments under a small fuel budget and small
// limits. Any crash, hang, leak or sanitizer report is a finding; errors and
// traps are the expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

using namespace interstice::engine;

namespace {

std::shared_ptr<Engine> fuzz_engine() {
  static std::shared_ptr<Engine> engine = [] {
    EngineConfig config;
    config.fuel_per_call = 200'000;
    return std::move(Engine::create(config)).value();
  }();
  return engine;
}

std::vector<Value> zero_arguments(const FunctionSignature& signature, bool* callable) {
  std::vector<Value> args;
  for (ValueType type : signature.params) {
    switch (type) {
      case ValueType::I32:
        args.push_back(Value::i32(0));
        break;
      case ValueType::I64:
        args.push_back(Value::i64(0));
        break;
      case ValueType::F32:
        args.push_back(Value::f32(0));
        break;
      case ValueType::F64:
        args.push_back(Value::f64(0));
        break;
      default:
        *callable = false;
    }
  }
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::shared_ptr<Engine> engine = fuzz_engine();
  Result<Module> module = engine->load(std::span<const uint8_t>(data, size), "fuzz");
  if (!module) return 0;
  Linker linker(engine);
  if (!linker.define_unknown_imports_as_traps(*module)) return 0;
  InstanceOptions options;
  options.limits.max_memory_bytes = 16 << 20;
  options.limits.max_table_elements = 10'000;
  Result<std::unique_ptr<Instance>> instance = Instance::create(linker, *module, options);
  if (!instance) return 0;
  for (const ExportDesc& e : module->exports()) {
    if (e.kind != ExternKind::Function) continue;
    bool callable = true;
    std::vector<Value> args = zero_arguments(e.signature, &callable);
    if (callable) (void)(*instance)->call(e.name, args);
  }
  return 0;
}
