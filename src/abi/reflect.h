// Compile-time reflection for user structs and enums, used by the encoding
// (serialize.h) and by the SDK to describe types in the module schema.
//
//   struct Greeting {
//     uint64_t id;
//     std::string text;
//     INTERSTICE_TYPE(Greeting, id, text)
//   };
//   enum class Color : uint32_t { Red, Green };
//   INTERSTICE_ENUM(Color, Red, Green)
//
// INTERSTICE_TYPE goes inside the struct and lists every field to encode, in
// encoding order. INTERSTICE_ENUM goes after a plain enum whose values are
// 0..n-1, at namespace scope.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

// INTERSTICE_FOR_EACH(m, a, b, c) expands to m(a) m(b) m(c), for up to 256
// arguments (the usual __VA_OPT__ recursion).
#define INTERSTICE_PARENS ()
#define INTERSTICE_EXPAND(...) \
  INTERSTICE_EXPAND3(INTERSTICE_EXPAND3(INTERSTICE_EXPAND3(INTERSTICE_EXPAND3(__VA_ARGS__))))
#define INTERSTICE_EXPAND3(...) \
  INTERSTICE_EXPAND2(INTERSTICE_EXPAND2(INTERSTICE_EXPAND2(INTERSTICE_EXPAND2(__VA_ARGS__))))
#define INTERSTICE_EXPAND2(...) \
  INTERSTICE_EXPAND1(INTERSTICE_EXPAND1(INTERSTICE_EXPAND1(INTERSTICE_EXPAND1(__VA_ARGS__))))
#define INTERSTICE_EXPAND1(...) __VA_ARGS__
#define INTERSTICE_FOR_EACH(macro, ...) \
  __VA_OPT__(INTERSTICE_EXPAND(INTERSTICE_FOR_EACH_HELPER(macro, __VA_ARGS__)))
#define INTERSTICE_FOR_EACH_HELPER(macro, a1, ...) \
  macro(a1) __VA_OPT__(INTERSTICE_FOR_EACH_AGAIN INTERSTICE_PARENS(macro, __VA_ARGS__))
#define INTERSTICE_FOR_EACH_AGAIN() INTERSTICE_FOR_EACH_HELPER

#define INTERSTICE_FIELD_ENTRY(field) \
  , ::interstice::abi::FieldRef {     \
    #field, &interstice_self::field   \
  }
#define INTERSTICE_TYPE(Type, ...)                                   \
  using interstice_self = Type;                                      \
  static constexpr std::string_view interstice_type_name() {         \
    return #Type;                                                    \
  }                                                                  \
  static constexpr auto interstice_fields() {                        \
    return ::interstice::abi::make_fields(                           \
        0 INTERSTICE_FOR_EACH(INTERSTICE_FIELD_ENTRY, __VA_ARGS__)); \
  }

#define INTERSTICE_ENUM_ENTRY(value) #value,
#define INTERSTICE_ENUM(Enum, ...)                                  \
  constexpr std::string_view interstice_enum_name(const Enum*) {    \
    return #Enum;                                                   \
  }                                                                 \
  constexpr auto interstice_enum_values(const Enum*) {              \
    return std::to_array<std::string_view>(                         \
        {INTERSTICE_FOR_EACH(INTERSTICE_ENUM_ENTRY, __VA_ARGS__)}); \
  }

// A tagged variant type `Name`, one of the listed alternatives (see
// abi::Variant in serialize.h).
#define INTERSTICE_VARIANT(Name, ...)                             \
  struct Name : ::interstice::abi::Variant<__VA_ARGS__> {         \
    using Variant::Variant;                                       \
    static constexpr std::string_view interstice_variant_name() { \
      return #Name;                                               \
    }                                                             \
  };

namespace interstice::abi {

// One reflected field: its name and member pointer.
template <typename Struct, typename Member>
struct FieldRef {
  std::string_view name;
  Member Struct::* member;
};

template <typename... Fields>
constexpr auto make_fields(int, Fields... fields) {
  return std::make_tuple(fields...);
}

template <typename T>
concept ReflectedStruct = requires { T::interstice_fields(); };

template <typename T>
concept ReflectedEnum = std::is_enum_v<T> && requires(const T* p) { interstice_enum_values(p); };

template <ReflectedStruct T, typename F>
constexpr void for_each_field(F&& f) {
  std::apply([&](auto... field) { (f(field), ...); }, T::interstice_fields());
}

}  // namespace interstice::abi
