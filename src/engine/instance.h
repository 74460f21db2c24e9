// Instance: one instantiated module in its own wasmtime store, with its own
// fuel budget, resource limits and linear memory. Not thread-safe: one thread
// calls into an instance at a time (Engine::interrupt may come from any thread).
//
// Every call into wasm gets the engine's fuel budget per call (or the one set
// with set_fuel_per_call) and reports how much it used. A trap, running out of
// fuel or an interrupt fails only that call: the instance stays usable, though
// a float the trapped call stored just before the trap may hold a NaN with the
// CPU's bits rather than the canonical ones (deferred_stores.h). The runtime
// replaces an instance after a trap.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_config.h"
#include "engine/host_function.h"
#include "engine/memory_view.h"
#include "engine/raw_value.h"
#include "engine/result.h"
#include "engine/value.h"

typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasm_trap_t wasm_trap_t;

namespace interstice::engine {

class Engine;
class Linker;
class Module;

struct InstanceOptions {
  InstanceLimits limits;
  void* user_data = nullptr;  // returned by Instance::user_data(), e.g. to host functions
};

// An exported function resolved once; calling it skips the export lookup.
// Valid as long as its Instance lives.
struct FunctionHandle {
  uint64_t store_id = 0;
  void* internal = nullptr;
};

template <typename Signature>
class TypedFunction;

class Instance {
 public:
  // Instantiates `module` with the imports `linker` defines (running its start
  // function under the fuel budget). A missing import, a limit exceeded by the
  // module's declared sizes or a trap in the start function is an error.
  [[nodiscard]] static Result<std::unique_ptr<Instance>> create(const Linker& linker,
                                                                const Module& module,
                                                                InstanceOptions options = {});
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const std::string& module_name() const { return module_name_; }
  void* user_data() const { return user_data_; }

  // The signature of exported function `name`, or an error naming what is wrong.
  Result<FunctionSignature> signature(std::string_view name);
  // Calls exported function `name` with dynamically typed values; checks
  // arity and types first.
  Result<std::vector<Value>> call(std::string_view name, std::span<const Value> args);
  // Resolves exported function `name` with static signature R(Args...) for
  // fast repeated calls; fails if the export's signature differs.
  template <typename Signature>
  Result<TypedFunction<Signature>> typed(std::string_view name);

  // The exported "memory" (bounds-checked), or an empty view if there is none.
  MemoryView memory();
  Result<Value> global(std::string_view name);
  Result<void> set_global(std::string_view name, const Value& value);

  void set_fuel_per_call(uint64_t fuel) { fuel_per_call_ = fuel; }
  uint64_t fuel_per_call() const { return fuel_per_call_; }
  // Fuel used by the most recent call (including a trapped one).
  uint64_t last_call_fuel() const;

  // The raw call path behind TypedFunction: raw holds the arguments and
  // receives the results. The caller guarantees that the slots match the
  // function's signature (TypedFunction checks it once, at resolve time).
  Result<void> call_raw(const FunctionHandle& function, RawValue* raw, size_t slots);

  // Engine internals, for host-function trampolines.
  void record_host_error(std::string message) { host_error_ = std::move(message); }
  // Charges the config's host_call_fuel to the running call. Reading and
  // writing the counter costs twice an empty host call, so charges are
  // settled every kHostCallBatch calls (through the calling context) and at
  // the end of the call: deterministic, like every charge. False if the call
  // cannot pay at a settlement: it then traps out of fuel.
  bool charge_host_call(wasmtime_context_t* caller_context) {
    if (++unsettled_host_calls_ < kHostCallBatch) return true;
    return settle_host_calls(caller_context);
  }
  static constexpr uint32_t kHostCallBatch = 16;

 private:
  Instance(std::shared_ptr<Engine> engine, std::string module_name, void* user_data);
  Result<FunctionHandle> find_function(std::string_view name, FunctionSignature* signature);
  Result<FunctionHandle> find_typed(std::string_view name, const FunctionSignature& expected);
  void begin_call();
  void end_call();
  int64_t injected_fuel_left() const;
  bool settle_host_calls(wasmtime_context_t* caller_context);
  // What the call's unsettled host calls cost, capped at the call's budget.
  uint64_t with_unsettled_host_calls(uint64_t used) const;
  Error call_failure(wasmtime_error_t* error, wasm_trap_t* trap);
  wasmtime_context_t* context() const;

  template <typename Signature>
  friend class TypedFunction;

  std::shared_ptr<Engine> engine_;
  std::string module_name_;
  void* user_data_;
  wasmtime_store_t* store_ = nullptr;
  struct Handles;  // wasmtime's instance and memory handles
  std::unique_ptr<Handles> handles_;
  uint64_t fuel_per_call_;
  // With injected metering the counter is read only when asked for: reading
  // a global costs about as much as the rest of an empty call.
  uint64_t call_budget_ = 0;
  mutable uint64_t last_call_fuel_ = 0;
  mutable bool counter_unread_ = false;
  std::optional<std::string> host_error_;
  bool host_out_of_fuel_ = false;      // the running call could not pay for a host call
  uint32_t unsettled_host_calls_ = 0;  // made by the running (or last) call, not yet charged
};

template <typename R, typename... Args>
class TypedFunction<R(Args...)> {
 public:
  TypedFunction(Instance* instance, FunctionHandle function)
      : instance_(instance), function_(function) {}

  Result<R> operator()(Args... args) const {
    std::array<RawValue, (kSlots > 0 ? kSlots : 1)> raw{};
    size_t i = 0;
    ((to_raw<Args>(raw[i++], args)), ...);
    Result<void> outcome = instance_->call_raw(function_, raw.data(), kSlots);
    if (!outcome) return outcome.take_error();
    if constexpr (std::is_void_v<R>)
      return outcome;
    else
      return from_raw<R>(raw[0]);
  }

 private:
  static constexpr size_t kResults = std::is_void_v<R> ? 0 : 1;
  static constexpr size_t kSlots = sizeof...(Args) > kResults ? sizeof...(Args) : kResults;
  Instance* instance_;
  FunctionHandle function_;
};

template <typename Signature>
Result<TypedFunction<Signature>> Instance::typed(std::string_view name) {
  Result<FunctionHandle> handle = find_typed(name, SignatureOf<Signature>::get());
  if (!handle) return handle.take_error();
  return TypedFunction<Signature>(this, *handle);
}

}  // namespace interstice::engine
