// JSON at the human edges (CLI, local HTTP interface): converts between JSON
// and the canonical encoding of a type described by a schema.
//
//   integers  JSON numbers (checked against the type's range)
//   floats    JSON numbers
//   bool      true / false
//   string    JSON strings;  bytes: lowercase hex strings
//   vector    arrays;  tuple: arrays of exactly its length
//   optional  null or the value
//   struct    objects with every field by name (unknown fields are errors)
//   enum      the variant's name, or {"Variant": payload} for payloads
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi/type.h"
#include "abi/validate.h"
#include "base/result.h"

namespace interstice::node {

// JSON that clients send nests at most this deep (arrays and objects); a
// value of a type nests no deeper than the type (abi::kMaxTypeDepth = 64).
inline constexpr size_t kMaxJsonDepth = 128;

// Parses a client's JSON text. Refuses text nested deeper than `max_depth`
// before building anything (a linear pre-scan), so a deep body costs no more
// memory than its own bytes. Errors: "not valid JSON", "JSON nested deeper
// than N arrays and objects".
base::Result<nlohmann::ordered_json> parse_client_json(std::string_view text,
                                                       size_t max_depth = kMaxJsonDepth);

// The deepest nesting of arrays and objects in `text` (0 for a scalar),
// ignoring brackets inside strings; stops counting past `limit` + 1.
size_t json_nesting_depth(std::string_view text, size_t limit);

// The nesting depth and the number of values (arrays, objects, strings with
// object keys, numbers, literals) of a JSON body, from a scan without
// allocation: a body is refused before the JSON parser builds it, when that
// would cost far more than its size (1 MiB of `[` or of `{},` takes tens of
// MB as a DOM).
struct JsonShape {
  size_t depth = 0;
  size_t values = 0;
};
JsonShape scan_json(std::string_view body);

// Encodes `json` as `type`; an error names the path ("$.custom.val") and why.
// The conversion follows the type, at most abi::kMaxTypeDepth deep (a named
// type that refers to itself is not followed deeper).
base::Result<std::vector<uint8_t>> json_to_bytes(const nlohmann::ordered_json& json,
                                                 const abi::Type& type,
                                                 const abi::TypeResolver& types);

// Decodes well-formed `bytes` of `type` (validate first) into JSON.
nlohmann::ordered_json bytes_to_json(std::span<const uint8_t> bytes, const abi::Type& type,
                                     const abi::TypeResolver& types);

}  // namespace interstice::node
