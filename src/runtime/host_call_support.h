// Helpers shared by the host functions: reading the caller's memory, and the
// status conventions of docs/abi.md (negative statuses where a call returns
// a length or a handle).
#pragma once

#include <string>

#include "abi/host_calls.h"
#include "engine/host_function.h"
#include "runtime/loaded_module.h"
#include "runtime/runtime.h"

namespace interstice::runtime::host_support {

using abi::Status;
using engine::Caller;
using engine::HostError;

// The bytes [ptr, ptr+len) of the caller's memory, copied; a bad pointer or
// length traps the module.
inline Bytes read_bytes(Caller& caller, uint32_t ptr, uint32_t len) {
  auto bytes = caller.memory().bytes(ptr, len);
  if (!bytes)
    throw HostError("pointer out of bounds: [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                    ")");
  return Bytes(bytes->begin(), bytes->end());
}

inline std::string read_string(Caller& caller, uint32_t ptr, uint32_t len) {
  auto text = caller.memory().string(ptr, len);
  if (!text)
    throw HostError("pointer out of bounds: [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                    ")");
  return std::string(*text);
}

inline int32_t negative(Status status) {
  return -static_cast<int32_t>(status);
}

// Logs a host call's problem at debug level, tagged with the module.
inline void report(LoadedModule& m, const std::string& problem) {
  if (!problem.empty()) m.runtime->log(m, abi::LogLevel::Debug, problem);
}

}  // namespace interstice::runtime::host_support
