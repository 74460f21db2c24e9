// Frames a hostile peer sends: a Subscribe whose one field's Type is nested
// `depth` deep (Vector of Vector of ...), about 12 bytes per level: at
// 200,000 it is the 2.4 MB frame that crashed a node before the handshake.
#pragma once

#include <cstdint>
#include <vector>

#include "abi/serialize.h"
#include "net/frame.h"
#include "net/messages.h"

namespace interstice::testing {

inline std::vector<uint8_t> deep_subscribe_payload(size_t depth) {
  using abi::Type;
  using abi::TypeKind;
  abi::TypeDef def{
      "Deep", abi::TypeDefKind::Struct, {abi::Field{"f", abi::primitive(TypeKind::Bool)}}};
  net::Subscribe subscribe{1, "hello", "greetings", "Deep", {def}};
  std::vector<uint8_t> payload = abi::to_bytes(net::Message{subscribe});
  // The Bool leaf is the last thing encoded: put the nesting in its place.
  std::vector<uint8_t> leaf = abi::to_bytes(abi::primitive(TypeKind::Bool));
  payload.resize(payload.size() - leaf.size());
  std::vector<uint8_t> open = abi::to_bytes(TypeKind::Vector);
  for (uint8_t b : {1, 0, 0, 0}) open.push_back(b);  // args: one element
  payload.reserve(payload.size() + depth * (open.size() + 4) + leaf.size());
  for (size_t i = 0; i < depth; ++i) payload.insert(payload.end(), open.begin(), open.end());
  payload.insert(payload.end(), leaf.begin(), leaf.end());
  for (size_t i = 0; i < depth; ++i)
    for (uint8_t b : {0, 0, 0, 0}) payload.push_back(b);  // name: empty
  return payload;
}

inline std::vector<uint8_t> deep_subscribe_frame(size_t depth = 200'000) {
  return net::frame_of(deep_subscribe_payload(depth));
}

}  // namespace interstice::testing
