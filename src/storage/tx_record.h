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

#include "abi/event_name.h"
#include "abi/serialize.h"
#include "abi/trigger.h"

namespace interstice::storage {

// The change a row effect makes (the runtime's table operation).
using EffectKind = abi::TableOp;

struct RowEffect {
  std::string table;
  EffectKind kind = EffectKind::Insert;
  abi::Bytes row;  // insert, update: the new row; delete: the deleted row
  INTERSTICE_TYPE(RowEffect, table, kind, row)
};

// A call of a reducer or a query on another node that the transaction made:
// sent once it commits, and again after a restart until its outcome is
// recorded (the transaction whose trigger is "remote_result" and whose first
// argument is the call id). A query whose answer has not come by
// `deadline_us` gets a "timed out" outcome instead.
struct RemoteCallRecord {
  uint64_t call_id = 0;
  std::string alias;    // the remote node, as the module names it
  std::string address;  // the address the module declared
  std::string module;
  std::string reducer;
  abi::Bytes args;
  std::string caller_module;  // the module that made the call
  std::string callback;       // its reducer that gets the outcome
  bool query = false;         // `reducer` is a query: the outcome carries its value
  int64_t deadline_us = 0;    // a query's: when it times out (the node's clock)
  INTERSTICE_TYPE(RemoteCallRecord, call_id, alias, address, module, reducer, args, caller_module,
                  callback, query, deadline_us)
};

// A remote call as records and snapshots held it before remote queries
// (reducer calls only); older formats read it.
struct RemoteCallRecordV1 {
  uint64_t call_id = 0;
  std::string alias;
  std::string address;
  std::string module;
  std::string reducer;
  abi::Bytes args;
  std::string caller_module;
  std::string callback;
  INTERSTICE_TYPE(RemoteCallRecordV1, call_id, alias, address, module, reducer, args, caller_module,
                  callback)
};
std::vector<RemoteCallRecord> upgrade_calls(std::vector<RemoteCallRecordV1> old);

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

// What started a transaction (abi/trigger.h).
using TriggerKind = abi::TriggerKind;
using Trigger = abi::Trigger;

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
  // The offset of the transaction whose commit queued this one (its ctx.call
  // or a change a subscription reacts to), or 0 (runtime::CommittedTransaction::parent).
  uint64_t parent = 0;
  INTERSTICE_TYPE(TxRecord, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results, parent)
};

// A call from a peer that ran, remembered for deduplication.
struct PeerCallRecord {
  std::string peer;
  uint64_t call_id = 0;
  INTERSTICE_TYPE(PeerCallRecord, peer, call_id)
};

// Decodes a log record: this format, the sixth (without the parent), the fifth (remote calls
// without their query flag and deadline), the fourth (the trigger without its remote position), the
// third (the trigger as text), the second (without host_results either) or the first (without
// remote_calls either), which older logs hold. nullopt if none.
std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload);

}  // namespace interstice::storage
