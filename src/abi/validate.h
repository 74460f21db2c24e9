// Checks that bytes are a well-formed canonical encoding of a Type, without
// building any value: the host uses it on every row a module writes and every
// argument it is given. Named types are looked up in the schema's TypeDefs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "abi/codec.h"
#include "abi/type.h"

namespace interstice::abi {

class TypeResolver {
 public:
  explicit TypeResolver(const std::vector<TypeDef>& defs) : defs_(defs) {}
  const TypeDef* find(const std::string& name) const {
    for (const TypeDef& d : defs_)
      if (d.name == name) return &d;
    return nullptr;
  }

 private:
  const std::vector<TypeDef>& defs_;
};

namespace detail {

// Nesting limit, so hostile input cannot recurse the host's stack away: the
// same as a Type's (a value nests as deep as its type, or, through named
// types that refer to themselves, as deep as this allows).
inline constexpr int kMaxDepth = kMaxTypeDepth;

inline bool validate_value(Reader& r, const Type& type, const TypeResolver& types, int depth,
                           std::string* where) {
  if (depth > kMaxDepth) {
    *where = "nesting deeper than 64";
    return false;
  }
  if (!r.step()) {
    if (where->empty()) *where = std::string(r.error());
    return false;
  }
  if (uint32_t size = fixed_size(type.kind)) {
    if (type.kind == TypeKind::Bool)
      r.boolean();
    else
      r.skip(size);
    return r.ok();
  }
  switch (type.kind) {
    case TypeKind::String: {
      if (!valid_utf8(r.string_view())) {
        *where = "string is not valid UTF-8";
        return false;
      }
      return r.ok();
    }
    case TypeKind::Bytes:
      r.bytes(r.length());
      return r.ok();
    case TypeKind::Vector: {
      uint32_t n = r.count();  // bounded by the input's size (codec.h)
      if (!r.ok()) {
        *where = std::string(r.error());
        return false;
      }
      for (uint32_t i = 0; i < n && r.ok(); ++i)
        if (!validate_value(r, type.args.at(0), types, depth + 1, where)) return false;
      return r.ok();
    }
    case TypeKind::Optional:
      if (r.boolean()) return validate_value(r, type.args.at(0), types, depth + 1, where);
      return r.ok();
    case TypeKind::Tuple:
      for (const Type& t : type.args)
        if (!validate_value(r, t, types, depth + 1, where)) return false;
      return r.ok();
    case TypeKind::Named: {
      const TypeDef* def = types.find(type.name);
      if (def == nullptr) {
        *where = "unknown type " + type.name;
        return false;
      }
      if (def->kind == TypeDefKind::Struct) {
        for (const Field& f : def->fields)
          if (!validate_value(r, f.type, types, depth + 1, where)) {
            if (where->empty()) *where = "field " + f.name;
            return false;
          }
        return r.ok();
      }
      uint32_t tag = r.number<uint32_t>();
      if (r.ok() && tag >= def->fields.size()) {
        *where = type.name + " has no variant " + std::to_string(tag);
        return false;
      }
      return r.ok() && validate_value(r, def->fields[tag].type, types, depth + 1, where);
    }
    default:
      return false;
  }
}

}  // namespace detail

// Empty on success; otherwise what is wrong ("truncated", "string is not
// valid UTF-8 (field name)", "2 trailing bytes", ...).
inline std::string validate(std::span<const uint8_t> bytes, const Type& type,
                            const TypeResolver& types) {
  Reader r(bytes);
  std::string where;
  bool ok = detail::validate_value(r, type, types, 0, &where);
  if (ok && !r.ok()) ok = false;
  if (!ok) {
    if (where.empty()) where = "truncated or malformed " + to_string(type);
    return where;
  }
  if (!r.at_end())
    return std::to_string(r.remaining()) + " trailing bytes after " + to_string(type);
  return {};
}

}  // namespace interstice::abi
