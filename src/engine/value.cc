#include "engine/value.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

namespace interstice::engine {

const char* to_string(ValueType type) {
  switch (type) {
    case ValueType::I32:
      return "i32";
    case ValueType::I64:
      return "i64";
    case ValueType::F32:
      return "f32";
    case ValueType::F64:
      return "f64";
    case ValueType::V128:
      return "v128";
    case ValueType::FuncRef:
      return "funcref";
    case ValueType::ExternRef:
      return "externref";
    case ValueType::Other:
      return "other";
  }
  return "other";
}

ValueType Value::type() const {
  static constexpr ValueType kTypes[] = {ValueType::I32, ValueType::I64, ValueType::F32,
                                         ValueType::F64};
  return kTypes[v.index()];
}

std::string Value::to_string() const {
  struct Printer {
    std::string operator()(int32_t x) const { return fmt::format("{}", x); }
    std::string operator()(int64_t x) const { return fmt::format("{}", x); }
    std::string operator()(float x) const {
      if (std::isnan(x)) return fmt::format("nan:{:#010x}", std::bit_cast<uint32_t>(x));
      return fmt::format("{}", x);
    }
    std::string operator()(double x) const {
      if (std::isnan(x)) return fmt::format("nan:{:#018x}", std::bit_cast<uint64_t>(x));
      return fmt::format("{}", x);
    }
  };
  return std::visit(Printer{}, v);
}

bool Value::operator==(const Value& other) const {
  if (v.index() != other.v.index()) return false;
  switch (v.index()) {
    case 0:
      return std::get<0>(v) == std::get<0>(other.v);
    case 1:
      return std::get<1>(v) == std::get<1>(other.v);
    case 2:
      return std::bit_cast<uint32_t>(std::get<2>(v)) ==
             std::bit_cast<uint32_t>(std::get<2>(other.v));
    default:
      return std::bit_cast<uint64_t>(std::get<3>(v)) ==
             std::bit_cast<uint64_t>(std::get<3>(other.v));
  }
}

static std::string join_types(const std::vector<ValueType>& types) {
  std::string out;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) out += ", ";
    out += engine::to_string(types[i]);
  }
  return out;
}

std::string FunctionSignature::to_string() const {
  return fmt::format("({}) -> ({})", join_types(params), join_types(results));
}

}  // namespace interstice::engine
