// Result<T>: a value or an Error, for everything fallible in Interstice.
//
// C++20 has no std::expected, so this is the small subset we need. An Error
// carries a message that reads well on its own ("module 'x': ...") and, when
// the failure was a WebAssembly trap, the Trap with its kind and backtrace.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "engine/trap.h"

namespace interstice::engine {

struct Error {
  std::string message;
  std::optional<Trap> trap;  // set when the failure is a trap from wasm or a host call

  bool is_trap() const { return trap.has_value(); }
  bool is_trap(TrapKind kind) const { return trap && trap->kind == kind; }
};

inline Error make_error(std::string message) {
  return Error{std::move(message), std::nullopt};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { return std::get<1>(state_); }
  Error&& take_error() { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  Error&& take_error() { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace interstice::engine
