// Result<T>: a value or an Error, for everything fallible in Interstice, in
// every layer (the base layer: nothing here depends on another layer).
//
// C++20 has no std::expected, so this is the small subset we need. An Error
// has a code (what kind of failure, for code that must tell them apart) and
// a message that reads well on its own ("module 'x': ..."). A layer may
// attach a structured detail: the engine attaches the Trap of a failed wasm
// call (engine/trap_error.h), so a trap is one kind of error among others.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace interstice::base {

enum class ErrorCode {
  Failed,           // anything not listed below
  NotFound,         // a file, module, table or row that is not there
  InvalidArgument,  // a request that cannot be carried out as given (bad arguments)
  Forbidden,        // a caller without the right (a private table, a node-only reducer)
  Corrupt,          // bytes that do not decode or do not verify
  Io,               // the file system or network failed
  Trap,             // a WebAssembly call trapped (detail: engine::Trap)
};

// A layer's structured detail of an error (see engine::Trap).
struct ErrorDetail {
  virtual ~ErrorDetail() = default;
};

struct Error {
  ErrorCode code = ErrorCode::Failed;
  std::string message;
  std::shared_ptr<const ErrorDetail> detail;  // null unless a layer attached one
};

inline Error make_error(std::string message, ErrorCode code = ErrorCode::Failed) {
  return Error{code, std::move(message), nullptr};
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

}  // namespace interstice::base
