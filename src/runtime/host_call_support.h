// Helpers shared by the host functions: reading the caller's memory, and the
// status conventions of docs/abi.md (negative statuses where a call returns
// a length or a handle).
#pragma once

#include <chrono>
#include <string>

#include "abi/host_calls.h"
#include "engine/host_function.h"
#include "runtime/authorities.h"
#include "runtime/loaded_module.h"
#include "runtime/runtime.h"
#include "runtime/transaction.h"

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

// The back-end of a privileged call from `m`, or null with the status to
// return: NotPermitted unless `m` holds `authority`, Unavailable if the node
// has no back-end for it.
template <typename Backend>
inline Backend* authorized(LoadedModule& m, abi::Authority authority, Backend* backend,
                           Status* status) {
  *status = !m.runtime->holds(m, authority) ? Status::NotPermitted
            : !backend                      ? Status::Unavailable
                                            : Status::Ok;
  return *status == Status::Ok ? backend : nullptr;
}

// The status of a failed back-end call, its message logged at debug level.
inline Status failed(LoadedModule& m, const AuthorityError& error) {
  report(m, error.message);
  return error.status;
}

// Results that go back through result_read must fit an i32 length.
constexpr size_t kMaxResult = 64u << 20;

// A handle, or -status after logging why.
inline int64_t handle_or_status(LoadedModule& m, uint64_t handle, const AuthorityError& error) {
  return handle ? static_cast<int64_t>(handle) : negative(failed(m, error));
}

inline int32_t status_of(LoadedModule& m, bool ok, const AuthorityError& error) {
  return static_cast<int32_t>(ok ? Status::Ok : failed(m, error));
}

// Runs a privileged call's `body`, recording its outcome (the value, and
// m.result when `returns_bytes` and it succeeded) in the transaction. When
// the transaction is a replay, `body` does not run: the recorded outcome is
// returned, so replay observes exactly what the live call did and needs no
// back-end. A reducer that makes more such calls than recorded traps.
template <typename Body>
auto recorded(LoadedModule& m, bool returns_bytes, Body body) -> decltype(body()) {
  using R = decltype(body());
  Transaction* tx = m.tx;
  if (tx && tx->replaying()) {
    const HostResult* r = tx->next_host_result();
    if (!r) throw HostError("replay: more privileged host calls than the log recorded");
    if (returns_bytes) m.result = r->data;
    return static_cast<R>(r->value);
  }
  R value = body();
  if (tx)
    tx->record_host_result(
        HostResult{static_cast<int64_t>(value), returns_bytes && value >= 0 ? m.result : Bytes{}});
  return value;
}

// Times one host call of `m` (HostCallTime) from its construction to its
// destruction, while m's calls are timed (Runtime::run); otherwise it costs
// one branch.
class HostCallTimer {
 public:
  HostCallTimer(LoadedModule& m, std::string_view operation, const Table* table = nullptr)
      : module_(m.time_host_calls && m.host_call_times.size() < LoadedModule::kMaxTimedHostCalls
                    ? &m
                    : nullptr),
        operation_(operation),
        table_(table) {
    if (module_) start_ = std::chrono::steady_clock::now();
  }
  ~HostCallTimer() {
    if (module_)
      module_->host_call_times.push_back(
          {operation_, table_, start_, std::chrono::steady_clock::now()});
  }
  HostCallTimer(const HostCallTimer&) = delete;
  HostCallTimer& operator=(const HostCallTimer&) = delete;

 private:
  LoadedModule* module_;
  std::string_view operation_;
  const Table* table_;
  std::chrono::steady_clock::time_point start_;
};

// How a privileged call answers: a value or a length (refusals as -status),
// or a status.
enum class Answer { Value, Bytes, Status };

// A privileged call of `authority`: refused (NotPermitted, Unavailable)
// unless `m` holds it and the node has a back-end, else
// `body(m, backend)`; recorded either way (see recorded()).
template <typename R, typename Backend, typename Body>
R privileged(Caller& c, abi::Authority authority, Backend* (Runtime::*backend)() const,
             Answer answer, Body body) {
  LoadedModule& m = module_of(c);
  HostCallTimer timer(m, abi::interstice_enum_values(&authority)[static_cast<size_t>(authority)]);
  return recorded(m, answer == Answer::Bytes, [&]() -> R {
    Status status;
    Backend* b = authorized(m, authority, (m.runtime->*backend)(), &status);
    if (!b)
      return static_cast<R>(answer == Answer::Status ? static_cast<int32_t>(status)
                                                     : negative(status));
    return body(m, *b);
  });
}

}  // namespace interstice::runtime::host_support
