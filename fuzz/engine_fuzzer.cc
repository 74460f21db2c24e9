// libFuzzer target: arbitrary bytes through the engine layer. Compiles them,
// instantiates with every import stubbed as a trap, and calls every exported
// function with zero-valued arguments under a small fuel budget and small
// limits. Any crash, hang, leak or sanitizer report is a finding; errors and
// traps are the expected outcome for most inputs.
//
// It is also a differential test of the module instrumentation
// (instrumentation.h): the same bytes run on a second engine that uses
// wasmtime's own fuel, epochs and Cranelift's NaN canonicalization. A module
// that engine accepts must be accepted, and every call must give bit for bit
// the same results, traps and memory, until one side runs out of fuel (the
// two count fuel differently). A difference aborts: that is a finding. The
// one allowed difference: after a trap, a float stored just before it may
// hold the CPU's NaN rather than the canonical one (deferred_stores.h); the
// memories must otherwise match, and then go on from the reference's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

using namespace interstice::engine;

namespace {

std::shared_ptr<Engine> fuzz_engine(bool wasmtime_fuel) {
  auto make = [](bool wasmtime_fuel) {
    EngineConfig config;
    config.fuel_per_call = 200'000;
    config.wasmtime_fuel = wasmtime_fuel;
    return std::move(Engine::create(config)).value();
  };
  static std::shared_ptr<Engine> instrumented = make(false), reference = make(true);
  return wasmtime_fuel ? reference : instrumented;
}

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "instrumentation differs from wasmtime: %s: %s\n", what, detail.c_str());
  std::abort();
}

// The instance of `module` on `engine`, or nullptr when it cannot be made.
std::unique_ptr<Instance> instantiate(const std::shared_ptr<Engine>& engine, const Module& module,
                                      std::string* error) {
  Linker linker(engine);
  if (!linker.define_unknown_imports_as_traps(module)) return nullptr;
  InstanceOptions options;
  options.limits.max_memory_bytes = 16 << 20;
  options.limits.max_table_elements = 10'000;
  Result<std::unique_ptr<Instance>> instance = Instance::create(linker, module, options);
  if (!instance) {
    *error = instance.error().message;
    return nullptr;
  }
  return std::move(instance).value();
}

// Where the two engines may part without a bug: they count fuel differently,
// and the instrumented code's frames are larger, so the fixed wasm stack
// overflows at a different depth.
bool may_differ(const Error& error) {
  return is_trap(error, TrapKind::OutOfFuel) || is_trap(error, TrapKind::StackOverflow);
}

// Whether bytes [at, at + width) of `memory` hold a NaN of that width.
bool nan_at(std::span<const uint8_t> memory, size_t at, size_t width) {
  if (at + width > memory.size()) return false;
  uint64_t bits = 0;
  std::memcpy(&bits, memory.data() + at, width);
  uint64_t exponent = width == 8 ? 0x7ff0000000000000 : 0x7f800000;
  uint64_t magnitude = width == 8 ? bits & 0x7fffffffffffffff : bits & 0x7fffffff;
  return magnitude > exponent;
}

// After a trap: every byte that differs lies in a float that is a NaN on
// both sides.
bool same_but_for_nans(std::span<const uint8_t> got, std::span<const uint8_t> want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    bool in_nan = false;
    for (size_t width : {size_t{4}, size_t{8}})
      for (size_t at = i >= width - 1 ? i - (width - 1) : 0; at <= i && !in_nan; ++at)
        in_nan = nan_at(got, at, width) && nan_at(want, at, width);
    if (!in_nan) return false;
  }
  return true;
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
  std::span<const uint8_t> bytes(data, size);
  Result<Module> module = fuzz_engine(false)->load(bytes, "fuzz");
  Result<Module> reference = fuzz_engine(true)->load(bytes, "fuzz");
  if (!reference) return 0;
  if (!module && module.error().message.find("is reserved for the engine") != std::string::npos)
    return 0;  // a module may not export the names the instrumentation adds
  if (!module) finding("a module wasmtime compiles was refused", module.error().message);

  std::string error, reference_error;
  std::unique_ptr<Instance> instance = instantiate(fuzz_engine(false), *module, &error);
  std::unique_ptr<Instance> expected = instantiate(fuzz_engine(true), *reference, &reference_error);
  bool comparable = true;
  if (!instance || !expected) {
    // Both fail, or the start function runs out of fuel on one side.
    bool fuel = error.find("out of fuel") != std::string::npos ||
                reference_error.find("out of fuel") != std::string::npos ||
                error.find("stack overflow") != std::string::npos ||
                reference_error.find("stack overflow") != std::string::npos;
    if (!fuel && (instance != nullptr) != (expected != nullptr))
      finding("instantiation", error + " | " + reference_error);
    comparable = false;
  }
  if (!instance) return 0;
  for (const ExportDesc& e : module->exports()) {
    if (e.kind != ExternKind::Function) continue;
    bool callable = true;
    std::vector<Value> args = zero_arguments(e.signature, &callable);
    if (!callable) continue;
    Result<std::vector<Value>> got = instance->call(e.name, args);
    if (!comparable) continue;
    Result<std::vector<Value>> want = expected->call(e.name, args);
    if ((!got && may_differ(got.error())) || (!want && may_differ(want.error()))) {
      comparable = false;  // the two meter differently; their states part here
      continue;
    }
    if (got.ok() != want.ok())
      finding(e.name.c_str(), got.ok() ? want.error().message : got.error().message);
    if (got.ok() && *got != *want) finding(e.name.c_str(), "results differ");
    bool same_failure =
        got.ok() ||
        (is_trap(got.error()) == is_trap(want.error()) &&
         (!is_trap(got.error()) || trap_of(got.error())->kind == trap_of(want.error())->kind));
    if (!same_failure) finding(e.name.c_str(), got.error().message + " | " + want.error().message);
    if (!got.ok()) {
      MemoryView a = instance->memory(), b = expected->memory();
      if (a.size() != b.size()) finding("memory after a trap", "sizes differ");
      if (a.size() == 0) continue;
      std::span<uint8_t> mine = *a.bytes(0, a.size()), theirs = *b.bytes(0, b.size());
      if (!same_but_for_nans(mine, theirs)) finding("memory after a trap", "contents differ");
      std::copy(theirs.begin(), theirs.end(), mine.begin());
    }
  }
  if (comparable) {
    MemoryView a = instance->memory(), b = expected->memory();
    if (a.size() != b.size() ||
        (a.size() > 0 && !std::equal(a.bytes(0, a.size())->begin(), a.bytes(0, a.size())->end(),
                                     b.bytes(0, b.size())->begin())))
      finding("memory", "contents differ");
  }
  return 0;
}
