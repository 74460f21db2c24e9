// The settings of the one wasmtime engine a node runs. They are part of the
// determinism contract: two nodes with the same settings and the same
// wasmtime version run a module to the same results and the same fuel use.
// (Fuel metering by instrumentation is versioned by kFuelMeteringVersion.)
// docs/engine.md explains each setting and why it is set so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace interstice::engine {

inline constexpr uint64_t kDefaultFuelPerCall = 10'000'000'000;  // ~ a few seconds of compute
inline constexpr size_t kDefaultMaxWasmStack = 512 * 1024;
// What a host call costs the caller's fuel: about the time a host call takes
// (0.1-1 us) in wasm instructions, so that a loop of host calls is bounded
// by the fuel budget like any other loop.
inline constexpr uint64_t kDefaultHostCallFuel = 1000;

struct EngineConfig {
  // Fuel metering: every call gets `fuel_per_call` units and traps with
  // "out of fuel" when it runs out. Turned off only for benchmarks.
  // Metering is injected into each module (instrumentation.h), with the
  // interruption checks and NaN canonicalization. `wasmtime_fuel` uses
  // wasmtime's own consume_fuel, epochs and Cranelift's canonicalization
  // instead: slower, and there for the tests and benchmarks that compare.
  bool consume_fuel = true;
  uint64_t fuel_per_call = kDefaultFuelPerCall;
  bool wasmtime_fuel = false;
  // Charged to the call's fuel on entry to every host function, before it
  // runs; a call whose fuel cannot pay traps out of fuel there.
  uint64_t host_call_fuel = kDefaultHostCallFuel;
  // Interruption lets another thread stop a running call (operator
  // shutdown): through the injected control word, or with fuel off or
  // wasmtime's fuel, through wasmtime's epochs. It never decides an outcome
  // that is recorded.
  bool epoch_interruption = true;
  // Canonical NaNs: every NaN a float operation produces is seen as the
  // same bits on every machine (injected, or with fuel off, by Cranelift).
  bool nan_canonicalization = true;
  // Fixed wasm stack, so stack overflow happens at the same depth everywhere.
  size_t max_wasm_stack = kDefaultMaxWasmStack;
  // Where compiled modules are cached; empty disables the disk cache.
  std::filesystem::path cache_dir;

  // Fuel is counted by code injected into each module (instrumentation.h),
  // which then also does the interruption checks and NaN canonicalization.
  bool injected_metering() const { return consume_fuel && !wasmtime_fuel; }

  // The settings that change generated code, as text; part of the cache key.
  std::string code_fingerprint() const;
};

// Per-instance resource limits, enforced by a store limiter: a module that
// asks for more gets a failed memory.grow / table.grow (-1) or an
// instantiation error, never the host's memory.
struct InstanceLimits {
  uint64_t max_memory_bytes = 256ull << 20;
  uint64_t max_table_elements = 100'000;
  uint32_t max_instances = 4;
  uint32_t max_tables = 8;
  uint32_t max_memories = 1;
};

}  // namespace interstice::engine
