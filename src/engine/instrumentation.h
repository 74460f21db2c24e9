// Module instrumentation: the engine rewrites every module before compiling
// it, so that the module counts its own fuel in a mutable i64 global
// (instead of wasmtime's `consume_fuel`), checks for interruption (instead
// of wasmtime's epochs) and canonicalizes its NaNs (instead of Cranelift's
// `enable_nan_canonicalization`; see nan_canonicalization.h).
//
// Why: wasmtime 48 keeps its fuel counter in the store and saves and reloads
// it around every call, and its out-of-fuel and epoch checks are calls that
// clobber every register, so Cranelift spills loop values around them; and
// Cranelift canonicalizes every intermediate float result. The injected
// checks branch to a trap that needs no registers saved, and a NaN is
// canonicalized only where it can be observed (docs/engine.md has figures).
//
// The contract (docs/engine.md, "Instrumentation"):
// - Each function entry charges the number of instructions of the function
//   that are outside every loop; each loop iteration charges the number of
//   instructions of that loop that are outside its inner loops. So the
//   charge for a call never falls below the instructions it runs (calls
//   and inner loops pay for themselves), and it depends only on the module
//   and its input. A counted loop (counted_loops.h) pays for all its
//   iterations at once, before it starts: the same total. memory.fill,
//   memory.copy and memory.init also pay one unit per 64 bytes.
// - The counter is exported as `kFuelExport`. The host sets it to the call's
//   budget before a call; a charge that takes it below zero traps (with
//   `unreachable`, or in a loop with an out-of-bounds load from the control
//   memory), which the instance reports as out of fuel.
// - The start function is no longer run by instantiation: the section is
//   removed and the function exported as `kStartExport`, so that the host
//   runs it under the budget like any call.
// - Interruption (options.interruptible): the rewriter adds a one-page
//   memory, exported as `kControlExport`, whose first 8 bytes hold the
//   floor the counter is compared with: 0, or INT64_MAX once another thread
//   interrupts the call. This replaces wasmtime's epoch checks, whose
//   out-of-line call makes Cranelift spill around every loop header.
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

inline constexpr std::string_view kFuelExport = "__interstice_fuel";
inline constexpr std::string_view kStartExport = "__interstice_start";
inline constexpr std::string_view kControlExport = "__interstice_control";
inline constexpr std::string_view kMemoryExport = "memory";
// wasmtime's own message for running out of fuel, kept for both meterings.
inline constexpr const char* kOutOfFuelMessage = "all fuel consumed by WebAssembly";
// Bumped whenever the instrumentation or its charges change: it is part of
// the compiled-module cache key and of the determinism contract.
inline constexpr int kFuelMeteringVersion = 12;

struct InstrumentationOptions {
  // Adds the control memory (see kControlExport), so that another thread
  // can interrupt a running call.
  bool interruptible = true;
  // Canonicalizes NaNs (nan_canonicalization.h) instead of Cranelift.
  bool canonicalize_nans = true;
};

Result<std::vector<uint8_t>> instrument_module(std::span<const uint8_t> wasm,
                                               const InstrumentationOptions& options = {});

// The exports the rewriter adds; the engine hides them from users.
inline bool is_engine_export(std::string_view name) {
  return name == kFuelExport || name == kStartExport || name == kControlExport;
}

}  // namespace interstice::engine
