// A WebAssembly trap as a value: what kind, wasmtime's message, and the wasm
// backtrace (innermost frame first) with function names from the name section.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace interstice::engine {

enum class TrapKind {
  OutOfFuel,            // the call's fuel budget ran out (deterministic)
  Interrupted,          // stopped from another thread (epoch); not deterministic
  Unreachable,          // `unreachable` executed
  MemoryOutOfBounds,    // load/store outside linear memory
  StackOverflow,        // wasm call depth exceeded the fixed max_wasm_stack
  IntegerDivideByZero,  //
  IntegerOverflow,      // e.g. INT_MIN / -1
  BadConversionToInteger,
  TableOutOfBounds,
  IndirectCallToNull,
  BadSignature,  // call_indirect type mismatch
  Host,          // a host function failed (threw, or reported an error)
  Other,         // any other wasmtime trap code, or an engine error mid-call
};

const char* to_string(TrapKind kind);

struct Frame {
  std::string module_name;    // empty when the module has no name
  std::string function_name;  // demangled when possible; empty without a name section
  uint32_t function_index = 0;
  uint64_t module_offset = 0;  // byte offset of the instruction in the wasm file
};

// The detail of an error of code base::ErrorCode::Trap (engine/result.h).
struct Trap : base::ErrorDetail {
  TrapKind kind = TrapKind::Other;
  std::string message;
  std::vector<Frame> backtrace;

  // "out of fuel: all fuel consumed by WebAssembly", or just the kind when
  // the message would only repeat it.
  std::string headline() const;
  // The headline and then the backtrace, one frame a line:
  // "out of fuel: <message>\n  0: fib (func 1, offset 0x4a)\n ..." for people.
  std::string describe() const;
};

}  // namespace interstice::engine
