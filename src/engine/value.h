// WebAssembly values as the host sees them: the four number types. Reference
// and vector types appear in signatures (so they can be reported) but cannot
// be passed through the generic call path.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace interstice::engine {

enum class ValueType { I32, I64, F32, F64, V128, FuncRef, ExternRef, Other };

const char* to_string(ValueType type);

struct Value {
  std::variant<int32_t, int64_t, float, double> v;

  static Value i32(int32_t x) { return Value{x}; }
  static Value i64(int64_t x) { return Value{x}; }
  static Value f32(float x) { return Value{x}; }
  static Value f64(double x) { return Value{x}; }

  ValueType type() const;
  // "42", "-1", "1.5", "nan:0x7fc00000" (NaNs show their bits), as the CLI prints them.
  std::string to_string() const;
  bool operator==(const Value& other) const;  // bitwise for floats, so NaNs compare by bits
};

struct FunctionSignature {
  std::vector<ValueType> params;
  std::vector<ValueType> results;

  std::string to_string() const;  // "(i32, i64) -> (f64)"
};

}  // namespace interstice::engine
