#include "cli/argument_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace interstice::cli {
namespace {

using base::make_error;
using base::Result;
using engine::Value;
using engine::ValueType;

// Parses a whole decimal integer in [min, max], where max may exceed INT64_MAX
// to admit unsigned spellings (they wrap to the signed wasm value).
Result<int64_t> parse_integer(std::string_view text, int64_t min, uint64_t max, const char* type) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty() && text[0] == '-') {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc() && ptr == end && value >= min) return value;
  } else {
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc() && ptr == end && value <= max) return static_cast<int64_t>(value);
  }
  return make_error(fmt::format("'{}' is not a valid {}", text, type));
}

Result<double> parse_float(std::string_view text, const char* type) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size())
    return make_error(fmt::format("'{}' is not a valid {}", text, type));
  return value;
}

}  // namespace

Result<Value> parse_value(std::string_view text, ValueType type) {
  switch (type) {
    case ValueType::I32: {
      auto v = parse_integer(text, std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<uint32_t>::max(), "i32");
      if (!v) return v.take_error();
      return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(*v)));
    }
    case ValueType::I64: {
      auto v = parse_integer(text, std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<uint64_t>::max(), "i64");
      if (!v) return v.take_error();
      return Value::i64(*v);
    }
    case ValueType::F32: {
      auto v = parse_float(text, "f32");
      if (!v) return v.take_error();
      return Value::f32(static_cast<float>(*v));
    }
    case ValueType::F64: {
      auto v = parse_float(text, "f64");
      if (!v) return v.take_error();
      return Value::f64(*v);
    }
    default:
      return make_error(fmt::format("parameters of type {} cannot be given on the command line",
                                    engine::to_string(type)));
  }
}

}  // namespace interstice::cli
