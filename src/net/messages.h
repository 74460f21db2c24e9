// The peer protocol's messages (docs/protocol.md): one tagged variant in the
// canonical encoding, carried in length-prefixed frames (frame.h).
#pragma once

#include <cstdint>
#include <string>

#include "abi/serialize.h"

namespace interstice::net {

// Protocol versions this build speaks; peers agree on the highest common one.
inline constexpr uint32_t kProtocolMin = 1;
inline constexpr uint32_t kProtocolMax = 1;

// First message on a connection, from both sides.
struct Hello {
  uint32_t min_version = kProtocolMin;
  uint32_t max_version = kProtocolMax;
  abi::Bytes public_key;  // 32 bytes: the sender's Ed25519 key (its node id)
  abi::Bytes challenge;   // 32 random bytes the other side must sign
  INTERSTICE_TYPE(Hello, min_version, max_version, public_key, challenge)
};

// Second message, from both sides: the agreed version and the signature of
// the other side's challenge (see handshake.h for exactly what is signed).
struct Proof {
  uint32_t version = 0;
  abi::Bytes signature;  // 64 bytes
  INTERSTICE_TYPE(Proof, version, signature)
};

struct Ping {
  uint64_t nonce = 0;
  INTERSTICE_TYPE(Ping, nonce)
};

struct Pong {
  uint64_t nonce = 0;
  INTERSTICE_TYPE(Pong, nonce)
};

// A reducer call from a peer. `call_id` is unique per calling node: a
// repeated id (say, resent after a reconnect) is answered from the first
// outcome and not run again (at most once).
struct CallRequest {
  uint64_t call_id = 0;
  std::string module;
  std::string reducer;
  abi::Bytes args;  // the parameters, encoded as a tuple
  INTERSTICE_TYPE(CallRequest, call_id, module, reducer, args)
};

struct CallResult {
  uint64_t call_id = 0;
  bool ok = false;
  std::string error;  // why, when not ok
  INTERSTICE_TYPE(CallResult, call_id, ok, error)
};

INTERSTICE_VARIANT(Message, Hello, Proof, Ping, Pong, CallRequest, CallResult)

}  // namespace interstice::net
