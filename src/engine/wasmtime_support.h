// Internal to the engine layer: conversions between wasmtime's C API types
// and ours. Only engine .cc files include this (and through it, wasmtime.h).
#pragma once

#include <wasmtime.h>

#include <optional>
#include <string>

#include "engine/result.h"
#include "engine/value.h"

namespace interstice::engine::detail {

// Takes ownership of `error` and turns it into an Error with `context`
// ("module 'x'") in front of wasmtime's message.
Error take_error(wasmtime_error_t* error, const std::string& context);
// Takes ownership of `trap` and turns it into a Trap with kind and backtrace.
Trap take_trap(wasm_trap_t* trap);
// The backtrace of an error that came out of a wasm call (may be empty).
std::vector<Frame> take_error_trace(const wasmtime_error_t* error);

ValueType value_type_from(const wasm_valtype_t* type);
FunctionSignature signature_from(const wasm_functype_t* type);
// A new functype (owned by the caller) for a signature of wasm scalars.
wasm_functype_t* functype_from(const FunctionSignature& signature);

std::string name_from(const wasm_name_t* name);

// Numbers between our Value and wasmtime's; value_from is nullopt for
// references and vectors.
std::optional<Value> value_from(const wasmtime_val_t& val);
wasmtime_val_t val_from(const Value& value);
// One line from a multi-line wasmtime message ("context: cause: cause").
std::string tidy_message(std::string_view text);

}  // namespace interstice::engine::detail
