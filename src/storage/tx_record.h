// TxRecord: the payload of one transaction-log record, in the canonical
// encoding (docs/storage.md). It holds the transaction's inputs (enough to
// re-execute it) and its effects (enough to re-apply it without executing).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi/serialize.h"

namespace interstice::storage {

enum class EffectKind : uint32_t { Insert, Update, Delete };
INTERSTICE_ENUM(EffectKind, Insert, Update, Delete)

struct RowEffect {
  std::string table;
  EffectKind kind = EffectKind::Insert;
  abi::Bytes row;  // insert, update: the new row; delete: the deleted row
  INTERSTICE_TYPE(RowEffect, table, kind, row)
};

// A call of a reducer on another node that the transaction made: sent once
// it commits, and again after a restart until its outcome is recorded (the
// transaction whose trigger is "remote_result" and whose first argument is
// the call id).
struct RemoteCallRecord {
  uint64_t call_id = 0;
  std::string alias;    // the remote node, as the module names it
  std::string address;  // the address the module declared
  std::string module;
  std::string reducer;
  abi::Bytes args;
  std::string caller_module;  // the module that made the call
  std::string callback;       // its reducer that gets the outcome
  INTERSTICE_TYPE(RemoteCallRecord, call_id, alias, address, module, reducer, args, caller_module,
                  callback)
};

// The outcome of one privileged host call (File, Gpu, Audio), which replay
// hands back to the reducer instead of calling the back-end: the `call`-th
// privileged call of the transaction (from 0) returned `value` and, for
// calls that return bytes, `data`.
struct HostResultRecord {
  uint32_t call = 0;
  int64_t value = 0;
  abi::Bytes data;
  INTERSTICE_TYPE(HostResultRecord, call, value, data)
};

// What started a transaction. The runtime names it in text ("init", the
// event, "remote_result", "peer_call N", or empty); the log records it typed,
// parsed once, so readers never split strings.
enum class TriggerKind : uint32_t {
  Call,            // a call from a client, the node or another module
  Init,            // the module's init hook
  LocalTable,      // a change of a table of this node (module, table, op)
  RemoteTable,     // a change of a table of a remote node (node, module, table, op)
  PeerConnect,     // peer.connect
  PeerDisconnect,  // peer.disconnect
  Input,           // input
  Render,          // render
  PeerCall,        // a call from a peer (call_id; the caller is its node id)
  RemoteResult,    // the outcome of a remote call, to its callback
};
INTERSTICE_ENUM(TriggerKind, Call, Init, LocalTable, RemoteTable, PeerConnect, PeerDisconnect,
                Input, Render, PeerCall, RemoteResult)

struct Trigger {
  TriggerKind kind = TriggerKind::Call;
  std::string node;                    // RemoteTable: the node, as the subscriber names it
  std::string module;                  // LocalTable, RemoteTable: the table's module
  std::string table;                   // LocalTable, RemoteTable
  EffectKind op = EffectKind::Insert;  // LocalTable, RemoteTable
  uint64_t call_id = 0;                // PeerCall
  INTERSTICE_TYPE(Trigger, kind, node, module, table, op, call_id)

  // From the runtime's text; nullopt if it is none of the forms above.
  static std::optional<Trigger> parse(std::string_view text);
  // Back to that text.
  std::string to_string() const;
  bool operator==(const Trigger&) const = default;
};

struct TxRecord {
  std::string module;
  std::string reducer;
  abi::Bytes args;  // the parameters, encoded as a tuple
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;  // the calling module, or empty
  Trigger trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecord> remote_calls;
  // Recorded inputs: how many privileged calls the transaction made, and the
  // outcomes of those that did not simply return 0 (Ok) without bytes, in
  // call order (a frame's many draws cost nothing in the log).
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(TxRecord, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results)
};

// The trigger of the transaction that delivers a remote call's outcome.
inline constexpr const char* kRemoteResultTrigger = "remote_result";

// The trigger of a call from a peer: "peer_call <call id>" (the caller is the
// peer's node id), so that a restarted node still answers a repeated call id
// from its first outcome.
std::string peer_call_trigger(uint64_t call_id);
std::optional<uint64_t> peer_call_id(std::string_view trigger);

// A call from a peer that ran, remembered for deduplication.
struct PeerCallRecord {
  std::string peer;
  uint64_t call_id = 0;
  INTERSTICE_TYPE(PeerCallRecord, peer, call_id)
};

// Decodes a log record: this format, the third (the trigger as text), the
// second (without host_results either) or the first (without remote_calls
// either), which older logs hold. nullopt if none.
std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload);

}  // namespace interstice::storage
