// Host functions: ordinary C++ callables that wasm modules import.
//
// A host function is any callable `R f(Caller&, Args...)` where Args and R are
// wasm scalars ((u)int32_t, (u)int64_t, float, double) and R may be void.
// It is registered with its exact wasm signature and called on wasmtime's
// unchecked (raw) path: no allocation and no dynamic values per call.
//
// A host function fails by throwing (HostError or any std::exception). The
// engine catches it at the boundary, so no exception ever crosses wasm, and
// the module sees a trap of kind TrapKind::Host carrying the message.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/memory_view.h"
#include "engine/raw_value.h"
#include "engine/value.h"

typedef struct wasmtime_caller wasmtime_caller_t;

namespace interstice::engine {

class Instance;

// Thrown by host functions to trap the calling module with a message.
class HostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a host function knows about the module that called it.
class Caller {
 public:
  explicit Caller(wasmtime_caller_t* caller) : caller_(caller) {}

  Instance& instance() const;
  // The caller's exported "memory", bounds-checked; empty if it has none.
  MemoryView memory() const;

 private:
  wasmtime_caller_t* caller_;
};

template <typename T>
constexpr ValueType value_type_of() {
  if constexpr (sizeof(T) == 4 && std::is_integral_v<T>)
    return ValueType::I32;
  else if constexpr (std::is_integral_v<T>)
    return ValueType::I64;
  else if constexpr (std::is_same_v<T, float>)
    return ValueType::F32;
  else
    return ValueType::F64;
}

// The wasm signature of a C++ function type R(Args...).
template <typename Signature>
struct SignatureOf;
template <typename R, typename... Args>
struct SignatureOf<R(Args...)> {
  static FunctionSignature get() {
    FunctionSignature sig{{value_type_of<Args>()...}, {}};
    if constexpr (!std::is_void_v<R>) sig.results.push_back(value_type_of<R>());
    return sig;
  }
};

namespace detail {

template <typename F>
struct CallableTraits : CallableTraits<decltype(&std::decay_t<F>::operator())> {};
template <typename C, typename R, typename... Args>
struct CallableTraits<R (C::*)(Caller&, Args...) const> {
  using Return = R;
  using Params = std::tuple<Args...>;
};
template <typename C, typename R, typename... Args>
struct CallableTraits<R (C::*)(Caller&, Args...)>
    : CallableTraits<R (C::*)(Caller&, Args...) const> {};
template <typename R, typename... Args>
struct CallableTraits<R (*)(Caller&, Args...)> {
  using Return = R;
  using Params = std::tuple<Args...>;
};

// Reads the arguments from raw[0..n), calls, writes the result to raw[0].
template <typename F, typename R, typename... Args, size_t... I>
void invoke_raw(F& f, Caller& caller, RawValue* raw, std::index_sequence<I...>) {
  if constexpr (std::is_void_v<R>) {
    f(caller, from_raw<Args>(raw[I])...);
  } else {
    R result = f(caller, from_raw<Args>(raw[I])...);
    to_raw<R>(raw[0], result);
  }
}

template <typename F, typename R, typename Tuple>
struct RawInvoker;
template <typename F, typename R, typename... Args>
struct RawInvoker<F, R, std::tuple<Args...>> {
  static void invoke(void* callable, Caller& caller, RawValue* raw) {
    invoke_raw<F, R, Args...>(*static_cast<F*>(callable), caller, raw,
                              std::index_sequence_for<Args...>{});
  }
  static FunctionSignature signature() { return SignatureOf<R(Args...)>::get(); }
};

}  // namespace detail

// A type-erased host function: the callable, how to call it on raw slots, and
// its wasm signature. Owned by the Linker it is defined in.
struct HostFunction {
  std::shared_ptr<void> callable;
  void (*invoke)(void* callable, Caller& caller, RawValue* raw) = nullptr;
  FunctionSignature signature;

  template <typename F>
  static HostFunction from(F callable) {
    using Traits = detail::CallableTraits<F>;
    using R = typename Traits::Return;
    using Invoker = detail::RawInvoker<F, R, typename Traits::Params>;
    static_assert(std::is_void_v<R> || kIsWasmScalar<R>,
                  "host functions return void or a wasm scalar");
    return HostFunction{std::make_shared<F>(std::move(callable)), &Invoker::invoke,
                        Invoker::signature()};
  }
};

}  // namespace interstice::engine
