// The engine's errors: base::Result and base::Error, with a WebAssembly trap
// attached as the error's detail when a call trapped (code Trap).
#pragma once

#include <memory>

#include "base/result.h"
#include "engine/trap.h"

namespace interstice::engine {

using base::Error;
using base::make_error;
using base::Result;

// An error of code Trap whose detail is `trap`, with `message`.
inline Error trap_error(std::string message, Trap trap) {
  return Error{base::ErrorCode::Trap, std::move(message),
               std::make_shared<const Trap>(std::move(trap))};
}

// The trap of a failed wasm call, or null if the error is no trap.
inline const Trap* trap_of(const Error& error) {
  return error.code == base::ErrorCode::Trap ? dynamic_cast<const Trap*>(error.detail.get())
                                             : nullptr;
}
inline bool is_trap(const Error& error) {
  return trap_of(error) != nullptr;
}
inline bool is_trap(const Error& error, TrapKind kind) {
  const Trap* trap = trap_of(error);
  return trap && trap->kind == kind;
}

}  // namespace interstice::engine
