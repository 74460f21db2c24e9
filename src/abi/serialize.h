// Encoding and decoding of C++ values in the canonical encoding, and the
// Type that describes each C++ type. The same header serves the host, the
// SDK (inside wasm) and later the log and the network.
//
// Supported: bool, (u)int8..64_t, float, double, std::string, abi::Bytes,
// std::vector<T>, std::optional<T>, std::tuple<T...>, reflected structs
// (INTERSTICE_TYPE) and enums (INTERSTICE_ENUM). Anything else is a compile
// error naming the type, via the Encodable concept.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "abi/codec.h"
#include "abi/reflect.h"
#include "abi/type.h"

namespace interstice::abi {

// Opaque bytes (encoded like a string, but not required to be UTF-8).
struct Bytes {
  std::vector<uint8_t> data;
  bool operator==(const Bytes&) const = default;
};

template <typename T>
struct TypeTraits;  // specialized below for every encodable type

template <typename T>
concept Encodable = requires { TypeTraits<std::remove_cvref_t<T>>::kEncodable; };

template <Encodable T>
void encode(Writer& w, const T& value) {
  TypeTraits<T>::encode(w, value);
}
template <Encodable T>
void decode(Reader& r, T& value) {
  TypeTraits<T>::decode(r, value);
}
// The Type of a C++ type; named types are registered through `define`
// (called once per struct/enum reachable from T) so a schema can list them.
template <Encodable T, typename Define>
Type type_of(Define& define) {
  return TypeTraits<T>::type(define);
}

template <Encodable T>
std::vector<uint8_t> to_bytes(const T& value) {
  std::vector<uint8_t> out;
  Writer w(out);
  encode(w, value);
  return out;
}

// Decodes exactly one T from `bytes`; nullopt if malformed or with bytes left
// over, and then, if `error` is given, why ("a type nested deeper than 64",
// "3 trailing bytes", ...).
template <Encodable T>
std::optional<T> from_bytes(std::span<const uint8_t> bytes, std::string* error = nullptr) {
  Reader r(bytes);
  T value{};
  decode(r, value);
  if (r.ok() && r.at_end()) return value;
  if (error != nullptr)
    *error = r.ok() ? std::to_string(r.remaining()) + " trailing bytes" : std::string(r.error());
  return std::nullopt;
}

#define INTERSTICE_NUMBER_TRAITS(CppType, Kind) \
  template <>                                   \
  struct TypeTraits<CppType> {                  \
    static constexpr bool kEncodable = true;    \
    static void encode(Writer& w, CppType v) {  \
      w.number<CppType>(v);                     \
    }                                           \
    static void decode(Reader& r, CppType& v) { \
      v = r.number<CppType>();                  \
    }                                           \
    template <typename D>                       \
    static Type type(D&) {                      \
      return primitive(TypeKind::Kind);         \
    }                                           \
  };
INTERSTICE_NUMBER_TRAITS(int8_t, I8)
INTERSTICE_NUMBER_TRAITS(int16_t, I16)
INTERSTICE_NUMBER_TRAITS(int32_t, I32)
INTERSTICE_NUMBER_TRAITS(int64_t, I64)
INTERSTICE_NUMBER_TRAITS(uint8_t, U8)
INTERSTICE_NUMBER_TRAITS(uint16_t, U16)
INTERSTICE_NUMBER_TRAITS(uint32_t, U32)
INTERSTICE_NUMBER_TRAITS(uint64_t, U64)
INTERSTICE_NUMBER_TRAITS(float, F32)
INTERSTICE_NUMBER_TRAITS(double, F64)
#undef INTERSTICE_NUMBER_TRAITS

template <>
struct TypeTraits<bool> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, bool v) { w.boolean(v); }
  static void decode(Reader& r, bool& v) { v = r.boolean(); }
  template <typename D>
  static Type type(D&) {
    return primitive(TypeKind::Bool);
  }
};

template <>
struct TypeTraits<std::string> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const std::string& v) { w.string(v); }
  static void decode(Reader& r, std::string& v) {
    std::string_view s = r.string_view();
    if (!valid_utf8(s)) r.fail();  // strings are UTF-8: one value, one encoding
    v = std::string(s);
  }
  template <typename D>
  static Type type(D&) {
    return primitive(TypeKind::String);
  }
};

template <>
struct TypeTraits<Bytes> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const Bytes& v) {
    w.length(v.data.size());
    w.raw(v.data.data(), v.data.size());
  }
  static void decode(Reader& r, Bytes& v) {
    auto b = r.bytes(r.length());
    v.data.assign(b.begin(), b.end());
  }
  template <typename D>
  static Type type(D&) {
    return primitive(TypeKind::Bytes);
  }
};

template <Encodable T>
struct TypeTraits<std::vector<T>> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const std::vector<T>& v) {
    w.length(v.size());
    for (const T& e : v) abi::encode(w, e);
  }
  static void decode(Reader& r, std::vector<T>& v) {
    uint32_t n = r.count();
    v.clear();
    // Reserve only what the bytes left could plausibly hold (8 bytes of
    // memory per input byte); beyond that the vector grows as elements
    // actually decode, so memory stays proportional to the input.
    if (size_t{n} * sizeof(T) <= 8 * r.remaining()) v.reserve(n);
    for (uint32_t i = 0; i < n && r.ok(); ++i) abi::decode(r, v.emplace_back());
  }
  template <typename D>
  static Type type(D& define) {
    return vector_of(abi::type_of<T>(define));
  }
};

template <Encodable T>
struct TypeTraits<std::optional<T>> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const std::optional<T>& v) {
    w.boolean(v.has_value());
    if (v) abi::encode(w, *v);
  }
  static void decode(Reader& r, std::optional<T>& v) {
    v.reset();
    if (r.boolean()) abi::decode(r, v.emplace());
  }
  template <typename D>
  static Type type(D& define) {
    return optional_of(abi::type_of<T>(define));
  }
};

template <Encodable... Ts>
struct TypeTraits<std::tuple<Ts...>> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const std::tuple<Ts...>& v) {
    std::apply([&](const auto&... e) { (abi::encode(w, e), ...); }, v);
  }
  static void decode(Reader& r, std::tuple<Ts...>& v) {
    std::apply([&](auto&... e) { (abi::decode(r, e), ...); }, v);
  }
  template <typename D>
  static Type type(D& define) {
    return Type{TypeKind::Tuple, {abi::type_of<Ts>(define)...}, {}};
  }
};

// Reflected structs: their fields in order.
template <ReflectedStruct T>
struct StructTraits {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const T& v) {
    for_each_field<T>([&](auto field) { abi::encode(w, v.*(field.member)); });
  }
  static void decode(Reader& r, T& v) {
    if (!r.enter_struct()) return;
    for_each_field<T>([&](auto field) {
      if (r.ok()) abi::decode(r, v.*(field.member));
    });
    r.leave_struct();
  }
  template <typename D>
  static Type type(D& define) {
    std::string name(T::interstice_type_name());
    if (define.begin(name)) {  // first time: describe the fields
      TypeDef def{name, TypeDefKind::Struct, {}};
      for_each_field<T>([&](auto field) {
        using Member = std::remove_cvref_t<decltype(std::declval<T&>().*(field.member))>;
        static_assert(Encodable<Member>, "a field of this struct has a type with no encoding");
        def.fields.push_back(Field{std::string(field.name), abi::type_of<Member>(define)});
      });
      define.finish(std::move(def));
    }
    return named(std::move(name));
  }
};

template <ReflectedStruct T>
struct TypeTraits<T> : StructTraits<T> {};

// Type is recursive: its decoder bounds the nesting (kMaxTypeDepth) and
// accepts only well-formed types (vector and optional: one argument; named:
// a name and no arguments; the others: no name), so that everything that
// walks a decoded Type (to_string, validate, check_schema) is bounded too.
template <>
struct TypeTraits<Type> : StructTraits<Type> {
  static void decode(Reader& r, Type& v) {
    if (!r.enter_type()) return;
    StructTraits<Type>::decode(r, v);
    r.leave_type();
    if (!r.ok()) return;
    bool one_arg = v.kind == TypeKind::Vector || v.kind == TypeKind::Optional;
    bool well_formed = v.kind == TypeKind::Named   ? v.args.empty() && !v.name.empty()
                       : one_arg                   ? v.args.size() == 1 && v.name.empty()
                       : v.kind == TypeKind::Tuple ? v.name.empty()
                                                   : v.args.empty() && v.name.empty();
    if (!well_formed) r.fail("an ill-formed type (wrong arguments or name for its kind)");
  }
};

template <ReflectedEnum T>
struct TypeTraits<T> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, T v) { w.number<uint32_t>(static_cast<uint32_t>(v)); }
  static void decode(Reader& r, T& v) {
    uint32_t tag = r.number<uint32_t>();
    if (tag >= interstice_enum_values(static_cast<const T*>(nullptr)).size()) r.fail();
    v = static_cast<T>(tag);
  }
  template <typename D>
  static Type type(D& define) {
    std::string name(interstice_enum_name(static_cast<const T*>(nullptr)));
    if (define.begin(name)) {
      TypeDef def{name, TypeDefKind::Enum, {}};
      for (std::string_view value : interstice_enum_values(static_cast<const T*>(nullptr)))
        def.fields.push_back(Field{std::string(value), unit()});
      define.finish(std::move(def));
    }
    return named(std::move(name));
  }
};

// A tagged variant: one of several named alternatives (reflected structs or
// enums), encoded as the u32 index of the alternative, then its value. Declare
// with INTERSTICE_VARIANT(Shape, Circle, Square); the variant names in the
// schema are the alternatives' type names.
template <typename... Alternatives>
struct Variant {
  std::variant<Alternatives...> value;

  Variant() = default;
  template <typename T>
    requires(std::is_same_v<std::remove_cvref_t<T>, Alternatives> || ...)
  Variant(T&& v) : value(std::forward<T>(v)) {}
  bool operator==(const Variant&) const = default;
};

template <typename T>
concept ReflectedVariant = requires { T::interstice_variant_name(); };

template <typename T>
std::string alternative_name() {
  if constexpr (ReflectedStruct<T>)
    return std::string(T::interstice_type_name());
  else
    return std::string(interstice_enum_name(static_cast<const T*>(nullptr)));
}

template <ReflectedVariant T>
struct TypeTraits<T> {
  static constexpr bool kEncodable = true;
  static void encode(Writer& w, const T& v) {
    w.number<uint32_t>(static_cast<uint32_t>(v.value.index()));
    std::visit([&](const auto& alt) { abi::encode(w, alt); }, v.value);
  }
  static void decode(Reader& r, T& v) {
    uint32_t tag = r.number<uint32_t>();
    decode_alternative(r, v, tag,
                       std::make_index_sequence<std::variant_size_v<decltype(v.value)>>{});
  }
  template <typename D>
  static Type type(D& define) {
    std::string name(T::interstice_variant_name());
    if (define.begin(name)) {
      TypeDef def{name, TypeDefKind::Enum, {}};
      describe_alternatives(define, def,
                            std::make_index_sequence<std::variant_size_v<decltype(T{}.value)>>{});
      define.finish(std::move(def));
    }
    return named(std::move(name));
  }

 private:
  template <size_t... I>
  static void decode_alternative(Reader& r, T& v, uint32_t tag, std::index_sequence<I...>) {
    bool found =
        ((tag == I ? (abi::decode(r, v.value.template emplace<I>()), true) : false) || ...);
    if (!found) r.fail();
  }
  template <typename D, size_t... I>
  static void describe_alternatives(D& define, TypeDef& def, std::index_sequence<I...>) {
    using V = decltype(T{}.value);
    (def.fields.push_back(Field{alternative_name<std::variant_alternative_t<I, V>>(),
                                abi::type_of<std::variant_alternative_t<I, V>>(define)}),
     ...);
  }
};

// A `define` for type_of that collects every TypeDef, each once, in the order
// they are first met.
struct TypeRegistry {
  std::vector<TypeDef> defs;
  std::vector<std::string> started;

  bool begin(const std::string& name) {
    for (const std::string& s : started)
      if (s == name) return false;
    started.push_back(name);
    return true;
  }
  void finish(TypeDef def) { defs.push_back(std::move(def)); }
};

}  // namespace interstice::abi
