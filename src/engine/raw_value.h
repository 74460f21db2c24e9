// RawValue: one argument or result slot of wasmtime's typed ("unchecked")
// call path. It has the layout of wasmtime_val_raw_t (checked by a
// static_assert in instance.cc) so that this header need not include
// wasmtime's. Only the engine layer reads or writes it.
#pragma once

#include <cstdint>
#include <type_traits>

namespace interstice::engine {

union RawValue {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  uint8_t v128[16];
  void* funcref;
};

// The wasm scalar types a typed host function or typed call may use.
template <typename T>
inline constexpr bool kIsWasmScalar =
    std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t> || std::is_same_v<T, int64_t> ||
    std::is_same_v<T, uint64_t> || std::is_same_v<T, float> || std::is_same_v<T, double>;

template <typename T>
T from_raw(const RawValue& raw) {
  static_assert(kIsWasmScalar<T>, "wasm scalars only: (u)int32_t, (u)int64_t, float, double");
  if constexpr (sizeof(T) == 4 && std::is_integral_v<T>)
    return static_cast<T>(raw.i32);
  else if constexpr (std::is_integral_v<T>)
    return static_cast<T>(raw.i64);
  else if constexpr (std::is_same_v<T, float>)
    return raw.f32;
  else
    return raw.f64;
}

template <typename T>
void to_raw(RawValue& raw, T value) {
  static_assert(kIsWasmScalar<T>, "wasm scalars only: (u)int32_t, (u)int64_t, float, double");
  if constexpr (sizeof(T) == 4 && std::is_integral_v<T>)
    raw.i32 = static_cast<int32_t>(value);
  else if constexpr (std::is_integral_v<T>)
    raw.i64 = static_cast<int64_t>(value);
  else if constexpr (std::is_same_v<T, float>)
    raw.f32 = value;
  else
    raw.f64 = value;
}

}  // namespace interstice::engine
