// The Interstice type model: the types a table column, a reducer parameter or
// a custom type may have, as data (so a schema can carry them and the host can
// check values against them). docs/abi.md defines each type's encoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi/reflect.h"

namespace interstice::abi {

enum class TypeKind : uint8_t {
  Bool = 0,
  I8 = 1,
  I16 = 2,
  I32 = 3,
  I64 = 4,
  U8 = 5,
  U16 = 6,
  U32 = 7,
  U64 = 8,
  F32 = 9,
  F64 = 10,
  String = 11,
  Bytes = 12,
  Vector = 13,    // args[0] is the element type
  Optional = 14,  // args[0] is the value type
  Tuple = 15,     // args are the element types
  Named = 16,     // a struct or enum defined in the schema: `name`
};

INTERSTICE_ENUM(TypeKind, Bool, I8, I16, I32, I64, U8, U16, U32, U64, F32, F64, String, Bytes,
                Vector, Optional, Tuple, Named)

// A type expression. Primitive kinds use only `kind`; Vector, Optional and
// Tuple use `args`; Named refers to a TypeDef of the same schema by name.
struct Type {
  TypeKind kind = TypeKind::Bool;
  std::vector<Type> args;
  std::string name;
  INTERSTICE_TYPE(Type, kind, args, name)

  bool operator==(const Type&) const = default;
};

// A named field of a struct, or a variant of an enum (whose `type` is its
// payload; an empty Tuple means no payload).
struct Field {
  std::string name;
  Type type;
  INTERSTICE_TYPE(Field, name, type)

  bool operator==(const Field&) const = default;
};

enum class TypeDefKind : uint8_t { Struct = 0, Enum = 1 };
INTERSTICE_ENUM(TypeDefKind, Struct, Enum)

// A user type: a struct (fields in order) or an enum / tagged variant
// (variants in order; the tag is the variant's index).
struct TypeDef {
  std::string name;
  TypeDefKind kind = TypeDefKind::Struct;
  std::vector<Field> fields;
  INTERSTICE_TYPE(TypeDef, name, kind, fields)

  bool operator==(const TypeDef&) const = default;
};

inline Type primitive(TypeKind kind) {
  return Type{kind, {}, {}};
}
inline Type vector_of(Type element) {
  return Type{TypeKind::Vector, {std::move(element)}, {}};
}
inline Type optional_of(Type value) {
  return Type{TypeKind::Optional, {std::move(value)}, {}};
}
inline Type named(std::string name) {
  return Type{TypeKind::Named, {}, std::move(name)};
}
inline Type unit() {
  return Type{TypeKind::Tuple, {}, {}};
}

// "u32", "vector<string>", "optional<Greeting>", "(i32, f64)".
std::string to_string(const Type& type);

// Fixed-width kinds and their encoded size; 0 for variable-width kinds.
constexpr uint32_t fixed_size(TypeKind kind) {
  switch (kind) {
    case TypeKind::Bool:
    case TypeKind::I8:
    case TypeKind::U8:
      return 1;
    case TypeKind::I16:
    case TypeKind::U16:
      return 2;
    case TypeKind::I32:
    case TypeKind::U32:
    case TypeKind::F32:
      return 4;
    case TypeKind::I64:
    case TypeKind::U64:
    case TypeKind::F64:
      return 8;
    default:
      return 0;
  }
}

inline std::string to_string(const Type& type) {
  static constexpr const char* kNames[] = {"bool", "i8",  "i16", "i32", "i64",    "u8",   "u16",
                                           "u32",  "u64", "f32", "f64", "string", "bytes"};
  switch (type.kind) {
    case TypeKind::Vector:
      return "vector<" + to_string(type.args.at(0)) + ">";
    case TypeKind::Optional:
      return "optional<" + to_string(type.args.at(0)) + ">";
    case TypeKind::Named:
      return type.name;
    case TypeKind::Tuple: {
      std::string out = "(";
      for (size_t i = 0; i < type.args.size(); ++i)
        out += (i ? ", " : "") + to_string(type.args[i]);
      return out + ")";
    }
    default:
      return kNames[static_cast<int>(type.kind)];
  }
}

}  // namespace interstice::abi
