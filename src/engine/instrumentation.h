// Module instrumentation: the engine rewrites every module before compiling
// it, so that the module counts its own fuel (instead of wasmtime's
// `consume_fuel`), checks for interruption (instead
// of wasmtime's epochs) and canonicalizes its NaNs (instead of Cranelift's
// `enable_nan_canonicalization`; see nan_canonicalization.h).
//
// Why: wasmtime 48 keeps its fuel counter in the store and saves and reloads
// it around every call, and its out-of-fuel and epoch checks are calls that
// clobber every register, so Cranelift spills loop values around them; and
// Cranelift canonicalizes every intermediate float result. The injected
// checks are a subtract and a branch, and a NaN is
// canonicalized only where it can be observed (docs/engine.md has figures).
//
// What the rewriter adds (docs/engine.md, "Instrumentation"):
// - A one-page memory, exported as `kControlExport`, holding three i64
//   words: the interrupt flag (nonzero: stop), the fuel counter and the fuel
//   reserve. The fuel left in a call is counter + reserve; the host sets
//   them to 0 and the budget before each call.
// - A charge at the start of every function and every loop body: the
//   function's instructions outside its loops, or the loop's outside its
//   inner loops. Code keeps the counter in a local and only when a charge
//   takes it below zero runs a slow path, which traps if the interrupt flag
//   is set, traps (leaving counter + reserve negative) if all the fuel is
//   used, and otherwise moves up to kFuelSlice from the reserve into the
//   counter. So the hot path of a check is a subtract and a branch, and an
//   interrupt is seen within kFuelSlice units.
// - The start function is no longer run by instantiation: the section is
//   removed and the function exported as `kStartExport`, so that the host
//   runs it under the budget like any call.
//
// The input must already be valid (the engine validates it with wasmtime
// first): the decoder checks bounds but not types.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace interstice::engine {

inline constexpr std::string_view kStartExport = "__interstice_start";
inline constexpr std::string_view kControlExport = "__interstice_control";
// Byte offsets of the control memory's words.
inline constexpr uint32_t kControlInterrupt = 0;
inline constexpr uint32_t kControlCounter = 8;
inline constexpr uint32_t kControlReserve = 16;
inline constexpr int64_t kFuelSlice = 1 << 20;
inline constexpr std::string_view kMemoryExport = "memory";
// wasmtime's own message for running out of fuel, kept for both meterings.
inline constexpr const char* kOutOfFuelMessage = "all fuel consumed by WebAssembly";
// Bumped whenever the instrumentation or its charges change: it is part of
// the compiled-module cache key and of the determinism contract.
inline constexpr int kFuelMeteringVersion = 4;

struct InstrumentationOptions {
  // The slow path checks the interrupt flag, so that another thread can
  // stop a running call.
  bool interruptible = true;
  // Canonicalizes NaNs (nan_canonicalization.h) instead of Cranelift.
  bool canonicalize_nans = true;
};

Result<std::vector<uint8_t>> instrument_module(std::span<const uint8_t> wasm,
                                               const InstrumentationOptions& options = {});

// The exports the rewriter adds; the engine hides them from users.
inline bool is_engine_export(std::string_view name) {
  return name == kStartExport || name == kControlExport;
}

}  // namespace interstice::engine
