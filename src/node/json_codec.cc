#include "node/json_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "abi/codec.h"

namespace interstice::node {

using abi::TypeKind;
using json = nlohmann::ordered_json;

namespace {

struct EncodeError {
  std::string path;
  std::string why;
};

class Encoder {
 public:
  Encoder(std::vector<uint8_t>& out, const abi::TypeResolver& types) : w_(out), types_(types) {}

  void value(const json& j, const abi::Type& t, const std::string& path) {
    if (++depth_ > abi::kMaxTypeDepth) throw EncodeError{path, "the value nests deeper than 64"};
    convert(j, t, path);
    --depth_;
  }

 private:
  void convert(const json& j, const abi::Type& t, const std::string& path) {
    if (uint32_t size = abi::fixed_size(t.kind)) return scalar(j, t, size, path);
    switch (t.kind) {
      case TypeKind::String:
        if (!j.is_string()) throw EncodeError{path, "expected a string"};
        w_.string(j.get_ref<const std::string&>());
        return;
      case TypeKind::Bytes:
        return bytes(j, path);
      case TypeKind::Vector:
        if (!j.is_array()) throw EncodeError{path, "expected an array"};
        w_.length(j.size());
        for (size_t i = 0; i < j.size(); ++i)
          value(j[i], t.args[0], fmt::format("{}[{}]", path, i));
        return;
      case TypeKind::Optional:
        w_.boolean(!j.is_null());
        if (!j.is_null()) value(j, t.args[0], path);
        return;
      case TypeKind::Tuple:
        if (!j.is_array() || j.size() != t.args.size())
          throw EncodeError{path, fmt::format("expected an array of {} values", t.args.size())};
        for (size_t i = 0; i < t.args.size(); ++i)
          value(j[i], t.args[i], fmt::format("{}[{}]", path, i));
        return;
      case TypeKind::Named:
        return named(j, t, path);
      default:
        throw EncodeError{path, "unsupported type"};
    }
  }

  void scalar(const json& j, const abi::Type& t, uint32_t size, const std::string& path) {
    if (t.kind == TypeKind::Bool) {
      if (!j.is_boolean()) throw EncodeError{path, "expected true or false"};
      w_.boolean(j.get<bool>());
      return;
    }
    if (t.kind == TypeKind::F32 || t.kind == TypeKind::F64) {
      if (!j.is_number()) throw EncodeError{path, "expected a number"};
      if (t.kind == TypeKind::F32)
        w_.number<float>(j.get<float>());
      else
        w_.number<double>(j.get<double>());
      return;
    }
    bool is_signed = t.kind == TypeKind::I8 || t.kind == TypeKind::I16 || t.kind == TypeKind::I32 ||
                     t.kind == TypeKind::I64;
    if (!j.is_number_integer()) throw EncodeError{path, "expected an integer"};
    uint64_t bits;
    if (is_signed) {
      if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(INT64_MAX))
        throw EncodeError{path, "out of range for " + abi::to_string(t)};
      int64_t v = j.get<int64_t>();
      int64_t max = size == 8 ? INT64_MAX : (int64_t(1) << (size * 8 - 1)) - 1;
      if (v > max || v < -max - 1) throw EncodeError{path, "out of range for " + abi::to_string(t)};
      bits = static_cast<uint64_t>(v);
    } else {
      if (!j.is_number_unsigned()) throw EncodeError{path, "out of range for " + abi::to_string(t)};
      uint64_t v = j.get<uint64_t>();
      if (size < 8 && v >> (size * 8))
        throw EncodeError{path, "out of range for " + abi::to_string(t)};
      bits = v;
    }
    for (uint32_t i = 0; i < size; ++i)
      w_.buffer().push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }

  void bytes(const json& j, const std::string& path) {
    if (!j.is_string()) throw EncodeError{path, "expected a hex string"};
    const std::string& hex = j.get_ref<const std::string&>();
    if (hex.size() % 2) throw EncodeError{path, "expected an even number of hex digits"};
    std::vector<uint8_t> data;
    for (size_t i = 0; i < hex.size(); i += 2) {
      auto nibble = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw EncodeError{path, "expected hex digits"};
      };
      data.push_back(static_cast<uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
    }
    w_.length(data.size());
    w_.raw(data.data(), data.size());
  }

  void named(const json& j, const abi::Type& t, const std::string& path) {
    const abi::TypeDef* def = types_.find(t.name);
    if (!def) throw EncodeError{path, "unknown type " + t.name};
    if (def->kind == abi::TypeDefKind::Struct) {
      if (!j.is_object()) throw EncodeError{path, "expected an object (" + t.name + ")"};
      for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for (const abi::Field& f : def->fields) known = known || f.name == it.key();
        if (!known) throw EncodeError{path, t.name + " has no field " + it.key()};
      }
      for (const abi::Field& f : def->fields) {
        if (!j.contains(f.name)) throw EncodeError{path, "missing field " + f.name};
        value(j[f.name], f.type, path + "." + f.name);
      }
      return;
    }
    std::string variant;
    const json* payload = nullptr;
    if (j.is_string())
      variant = j.get<std::string>();
    else if (j.is_object() && j.size() == 1)
      variant = j.begin().key(), payload = &j.begin().value();
    else
      throw EncodeError{path, "expected a variant name of " + t.name};
    for (uint32_t tag = 0; tag < def->fields.size(); ++tag) {
      if (def->fields[tag].name != variant) continue;
      w_.number<uint32_t>(tag);
      const abi::Type& p = def->fields[tag].type;
      bool unit = p.kind == TypeKind::Tuple && p.args.empty();
      if (!unit) {
        if (!payload) throw EncodeError{path, "variant " + variant + " needs a payload"};
        value(*payload, p, path + "." + variant);
      }
      return;
    }
    throw EncodeError{path, t.name + " has no variant " + variant};
  }

  abi::Writer w_;
  const abi::TypeResolver& types_;
  int depth_ = 0;  // of value() calls, bounded by abi::kMaxTypeDepth
};

class Decoder {
 public:
  Decoder(std::span<const uint8_t> bytes, const abi::TypeResolver& types)
      : r_(bytes), types_(types) {}

  // Null past abi::kMaxTypeDepth (validated bytes never go that deep).
  json value(const abi::Type& t) {
    if (depth_ >= abi::kMaxTypeDepth) {
      r_.fail("a value nested deeper than 64");
      return nullptr;
    }
    ++depth_;
    json out = convert(t);
    --depth_;
    return out;
  }

 private:
  json convert(const abi::Type& t) {
    switch (t.kind) {
      case TypeKind::Bool:
        return r_.boolean();
      case TypeKind::I8:
        return r_.number<int8_t>();
      case TypeKind::I16:
        return r_.number<int16_t>();
      case TypeKind::I32:
        return r_.number<int32_t>();
      case TypeKind::I64:
        return r_.number<int64_t>();
      case TypeKind::U8:
        return r_.number<uint8_t>();
      case TypeKind::U16:
        return r_.number<uint16_t>();
      case TypeKind::U32:
        return r_.number<uint32_t>();
      case TypeKind::U64:
        return r_.number<uint64_t>();
      case TypeKind::F32:
        return r_.number<float>();
      case TypeKind::F64:
        return r_.number<double>();
      case TypeKind::String:
        return std::string(r_.string_view());
      case TypeKind::Bytes: {
        auto b = r_.bytes(r_.length());
        std::string hex;
        for (uint8_t byte : b) hex += fmt::format("{:02x}", byte);
        return hex;
      }
      case TypeKind::Vector: {
        json out = json::array();
        uint32_t n = r_.count();
        for (uint32_t i = 0; i < n && r_.ok(); ++i) out.push_back(value(t.args[0]));
        return out;
      }
      case TypeKind::Optional:
        return r_.boolean() ? value(t.args[0]) : json(nullptr);
      case TypeKind::Tuple: {
        json out = json::array();
        for (const abi::Type& a : t.args) out.push_back(value(a));
        return out;
      }
      case TypeKind::Named:
        return named(t);
    }
    return nullptr;
  }

  json named(const abi::Type& t) {
    const abi::TypeDef* def = types_.find(t.name);
    if (!def) return nullptr;
    if (def->kind == abi::TypeDefKind::Struct) {
      json out = json::object();
      for (const abi::Field& f : def->fields) out[f.name] = value(f.type);
      return out;
    }
    uint32_t tag = r_.number<uint32_t>();
    if (tag >= def->fields.size()) return nullptr;
    const abi::Field& v = def->fields[tag];
    if (v.type.kind == TypeKind::Tuple && v.type.args.empty()) return v.name;
    return json{{v.name, value(v.type)}};
  }

  abi::Reader r_;
  const abi::TypeResolver& types_;
  int depth_ = 0;  // of value() calls
};

}  // namespace

size_t json_nesting_depth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

base::Result<json> parse_client_json(std::string_view text, size_t max_depth) {
  if (json_nesting_depth(text, max_depth) > max_depth)
    return base::make_error(
        fmt::format("JSON nested deeper than {} arrays and objects", max_depth));
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return base::make_error("not valid JSON");
  return parsed;
}

base::Result<std::vector<uint8_t>> json_to_bytes(const json& j, const abi::Type& type,
                                                 const abi::TypeResolver& types) {
  std::vector<uint8_t> out;
  try {
    Encoder(out, types).value(j, type, "$");
  } catch (const EncodeError& e) {
    return base::make_error(fmt::format("{}: {}", e.path, e.why));
  }
  return out;
}

json bytes_to_json(std::span<const uint8_t> bytes, const abi::Type& type,
                   const abi::TypeResolver& types) {
  return Decoder(bytes, types).value(type);
}

JsonShape scan_json(std::string_view body) {
  JsonShape shape;
  size_t depth = 0;
  bool in_string = false;
  char before = ',';  // the last significant character outside strings
  for (size_t i = 0; i < body.size(); ++i) {
    char ch = body[i];
    if (in_string) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
    if (ch == '"') {
      in_string = true;
      ++shape.values;
    } else if (ch == '[' || ch == '{') {
      shape.depth = std::max(shape.depth, ++depth);
      ++shape.values;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    } else if ((before == '[' || before == ',' || before == ':') && ch != ',' && ch != ']') {
      ++shape.values;  // the first character of a number or literal
    }
    before = ch;
  }
  return shape;
}

}  // namespace interstice::node
