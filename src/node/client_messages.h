// The client protocol's messages (docs/client-protocol.md): what a client
// sends over its WebSocket (/v1/ws) and what the node answers. A binary
// frame holds one or more messages back to back, each in the canonical
// encoding (a tagged variant, abi/serialize.h); a text frame holds one
// message as JSON (client_json.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "abi/event_name.h"
#include "abi/serialize.h"

namespace interstice::node {

// Client to node.

// Runs a reducer; answered by CallResult once its transaction is durable
// (or refused, or failed). `args` is the parameter tuple, encoded.
struct CallMessage {
  uint64_t request_id = 0;
  std::string module;
  std::string reducer;
  abi::Bytes args;
  INTERSTICE_TYPE(CallMessage, request_id, module, reducer, args)
};

// Subscribes to the rows of a SQL query (docs/node.md, "SQL"; ORDER BY and
// LIMIT are refused). Without `resume_after`: Subscribed with the matching
// rows, then an Update for each transaction that changes them. With it:
// Subscribed without rows, then every change after that log offset (read
// from the log), then live ones.
struct SubscribeMessage {
  uint64_t request_id = 0;  // also the subscription's id
  std::string query;
  std::optional<uint64_t> resume_after;
  INTERSTICE_TYPE(SubscribeMessage, request_id, query, resume_after)
};

struct UnsubscribeMessage {
  uint64_t request_id = 0;
  uint64_t subscription_id = 0;
  INTERSTICE_TYPE(UnsubscribeMessage, request_id, subscription_id)
};

INTERSTICE_VARIANT(ClientMessage, CallMessage, SubscribeMessage, UnsubscribeMessage)

// Node to client.

struct CallResult {
  uint64_t request_id = 0;
  bool ok = false;
  std::string error;  // when !ok
  std::string code;   // when !ok: NotFound, InvalidArgument, Forbidden, Failed, ...
  INTERSTICE_TYPE(CallResult, request_id, ok, error, code)
};

// One row's change. An update carries the old row where the node knows it
// (live changes; a catch-up read from the log knows only the new one). A
// delete identifies its row by primary key (and carries the whole row).
struct RowChange {
  abi::TableOp op = abi::TableOp::Insert;
  abi::Bytes row;                     // insert, update: the new row; delete: the row
  std::optional<abi::Bytes> old_row;  // update, when known
  INTERSTICE_TYPE(RowChange, op, row, old_row)
};

// The answer to Subscribe: refused (ok false, with the error), or accepted
// with the matching rows as of log offset `offset` (none when resuming).
struct Subscribed {
  uint64_t request_id = 0;
  bool ok = false;
  std::string error;
  std::string code;
  std::string module;
  std::string table;
  uint64_t offset = 0;
  std::vector<abi::Bytes> rows;
  INTERSTICE_TYPE(Subscribed, request_id, ok, error, code, module, table, offset, rows)
};

// The changes one transaction made to a subscription's rows, at its log
// offset; offsets increase along a subscription.
struct Update {
  uint64_t subscription_id = 0;
  uint64_t offset = 0;
  std::vector<RowChange> changes;
  INTERSTICE_TYPE(Update, subscription_id, offset, changes)
};

// The answer to Unsubscribe (ok false: there was no such subscription), or
// the end of a subscription the node ended (request_id 0, with the reason:
// its module was replaced or removed).
struct Unsubscribed {
  uint64_t request_id = 0;
  uint64_t subscription_id = 0;
  bool ok = false;
  std::string reason;
  INTERSTICE_TYPE(Unsubscribed, request_id, subscription_id, ok, reason)
};

// The connection ends after this (a malformed message, a client too far
// behind, the node stopping).
struct Goodbye {
  std::string reason;
  INTERSTICE_TYPE(Goodbye, reason)
};

INTERSTICE_VARIANT(ServerMessage, CallResult, Subscribed, Update, Unsubscribed, Goodbye)

// Binary frames: one or more messages back to back.

// Appends `message`'s encoding to `frame`.
template <typename Message>
void append_to_frame(std::vector<uint8_t>& frame, const Message& message) {
  abi::Writer writer(frame);
  abi::encode(writer, message);
}

// Calls `each(Message&&)` for the messages of a binary frame, in order, and
// stops at the first one that does not decode: false then, with `problem`
// saying why (an empty frame is malformed too). Messages before a malformed
// one have been handed to `each` already; `each` returns false to stop early.
template <typename Message, typename Each>
bool for_each_in_frame(std::span<const uint8_t> frame, std::string* problem, Each&& each) {
  abi::Reader reader(frame);
  if (reader.at_end()) {
    *problem = "an empty frame";
    return false;
  }
  while (!reader.at_end()) {
    Message message{};
    abi::decode(reader, message);
    if (!reader.ok()) {
      *problem = std::string(reader.error());
      return false;
    }
    if (!each(std::move(message))) return true;
  }
  return true;
}

}  // namespace interstice::node
