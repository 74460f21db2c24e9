// The peer protocol's messages (docs/protocol.md): one tagged variant in the
// canonical encoding, carried in length-prefixed frames (frame.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "abi/serialize.h"
#include "abi/type.h"

namespace interstice::net {

// Protocol versions this build speaks; peers agree on the highest common one.
// Version 1 (a handshake that could be relayed, links in the clear) is no
// longer spoken.
// Version 3: subscriptions start with the table's rows and resume after an offset.
// Version 4: calls may ask queries, and results carry their values (no longer
// speaks 3: its CallRequest and CallResult have other fields).
inline constexpr uint32_t kProtocolMin = 4;
inline constexpr uint32_t kProtocolMax = 4;

// First message on a connection, from both sides, in the clear. Its layout is
// the same in every version, so that any two versions can tell that they
// have no version in common.
struct Hello {
  uint32_t min_version = kProtocolMin;
  uint32_t max_version = kProtocolMax;
  abi::Bytes public_key;  // 32 bytes: the sender's Ed25519 key (its node id)
  // 32 bytes: the sender's ephemeral X25519 public key, fresh for this
  // connection. It is both the challenge the other side signs (within the
  // transcript, handshake.h) and the sender's half of the key exchange.
  abi::Bytes challenge;
  INTERSTICE_TYPE(Hello, min_version, max_version, public_key, challenge)
};

// Second message, from both sides, in the clear: the agreed version, the
// signature of the handshake transcript (handshake.h) and the header of the
// sender's encrypted stream. Every later frame is encrypted.
struct Proof {
  uint32_t version = 0;
  abi::Bytes signature;      // 64 bytes
  abi::Bytes stream_header;  // 24 bytes: crypto_secretstream_xchacha20poly1305 header
  INTERSTICE_TYPE(Proof, version, signature, stream_header)
};

struct Ping {
  uint64_t nonce = 0;
  INTERSTICE_TYPE(Ping, nonce)
};

struct Pong {
  uint64_t nonce = 0;
  INTERSTICE_TYPE(Pong, nonce)
};

// A reducer call or a query from a peer. `call_id` is unique per calling
// node: a repeated reducer call (say, resent after a reconnect) is answered
// from the first outcome and not run again (at most once); a query is
// answered afresh each time (it changes nothing).
struct CallRequest {
  uint64_t call_id = 0;
  std::string module;
  std::string reducer;  // or the query
  abi::Bytes args;      // the parameters, encoded as a tuple
  bool query = false;   // `reducer` names a query (abi::ReducerKind::Query)
  INTERSTICE_TYPE(CallRequest, call_id, module, reducer, args, query)
};

struct CallResult {
  uint64_t call_id = 0;
  bool ok = false;
  std::string error;                // why, when not ok
  std::optional<abi::Bytes> value;  // a query's answer, encoded as its result type
  INTERSTICE_TYPE(CallResult, call_id, ok, error, value)
};

// Asks the peer for one of its public tables: without `resume_after`, its
// rows (as inserts, all at the offset they were read at), then every change
// in commit order, for as long as this connection lasts; with it, every
// change of the transactions after that offset, read from the log, then the
// live ones (docs/protocol.md, "Subscriptions"). `row_type` and
// `types` say what the subscriber expects a row to be (its own schema's
// definition); the peer refuses a subscription whose type does not match its
// table's row type structurally.
struct Subscribe {
  uint64_t subscription_id = 0;  // chosen by the subscriber, echoed in every event
  std::string module;
  std::string table;
  std::string row_type;
  std::vector<abi::TypeDef> types;
  std::optional<uint64_t> resume_after;
  INTERSTICE_TYPE(Subscribe, subscription_id, module, table, row_type, types, resume_after)
};

struct SubscribeResult {
  uint64_t subscription_id = 0;
  bool ok = false;
  std::string error;    // why, when refused (or when an accepted one ended)
  uint64_t offset = 0;  // accepted: the rows sent are as of this offset
  // Refused or ended because the log does not hold the changes after
  // resume_after (beyond its end, or compacted away): subscribe without it.
  bool resume_lost = false;
  INTERSTICE_TYPE(SubscribeResult, subscription_id, ok, error, offset, resume_lost)
};

// One committed change of a subscribed table, sent once the transaction is
// durable on the publishing node. `kind`: 0 insert, 1 update, 2 delete.
// `offset` is the transaction's offset in the publisher's log: increasing;
// `rest` is how many more events of that offset follow for this
// subscription (0: the offset is complete).
struct TableEvent {
  uint64_t subscription_id = 0;
  uint64_t offset = 0;
  uint32_t rest = 0;
  uint32_t kind = 0;
  abi::Bytes old_row;  // update and delete
  abi::Bytes new_row;  // insert and update
  INTERSTICE_TYPE(TableEvent, subscription_id, offset, rest, kind, old_row, new_row)
};

INTERSTICE_VARIANT(Message, Hello, Proof, Ping, Pong, CallRequest, CallResult, Subscribe,
                   SubscribeResult, TableEvent)

}  // namespace interstice::net
