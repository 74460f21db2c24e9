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
#include <vector>

#include "abi/type.h"
#include "abi/validate.h"
#include "engine/result.h"

namespace interstice::node {

// Encodes `json` as `type`; an error names the path ("$.custom.val") and why.
engine::Result<std::vector<uint8_t>> json_to_bytes(const nlohmann::ordered_json& json,
                                                   const abi::Type& type,
                                                   const abi::TypeResolver& types);

// Decodes well-formed `bytes` of `type` (validate first) into JSON.
nlohmann::ordered_json bytes_to_json(std::span<const uint8_t> bytes, const abi::Type& type,
                                     const abi::TypeResolver& types);

}  // namespace interstice::node
