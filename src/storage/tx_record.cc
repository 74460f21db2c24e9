#include "storage/tx_record.h"

#include "abi/event_name.h"

namespace interstice::storage {
namespace {

// The fourth record format's trigger: without its remote position.
struct TriggerV4 {
  TriggerKind kind = TriggerKind::Call;
  std::string node, module, table;
  abi::TableOp op = abi::TableOp::Insert;
  uint64_t call_id = 0;
  INTERSTICE_TYPE(TriggerV4, kind, node, module, table, op, call_id)
};

// The third to fifth record formats: today's fields, with the trigger and
// the remote calls as each held them.
template <typename TriggerOf, typename RemoteCallOf>
struct OlderTxRecord {
  std::string module;
  std::string reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  TriggerOf trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallOf> remote_calls;
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(OlderTxRecord, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results)
};
// Sixth: without the parent.
using TxRecordV6 = OlderTxRecord<Trigger, RemoteCallRecord>;
// Fifth: remote calls without their query flag and deadline.
using TxRecordV5 = OlderTxRecord<Trigger, RemoteCallRecordV1>;
// Fourth: the trigger without its remote position, too.
using TxRecordV4 = OlderTxRecord<TriggerV4, RemoteCallRecordV1>;
// Third: the trigger as text.
using TxRecordV3 = OlderTxRecord<std::string, RemoteCallRecordV1>;

// The first record format: TxRecord without remote_calls.
struct TxRecordV1 {
  std::string module;
  std::string reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  std::string trigger;
  std::vector<RowEffect> effects;
  INTERSTICE_TYPE(TxRecordV1, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects)
};

// The second record format: TxRecord without host_results.
struct TxRecordV2 {
  std::string module;
  std::string reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  std::string trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecordV1> remote_calls;
  INTERSTICE_TYPE(TxRecordV2, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls)
};

// An older record, with its trigger already in today's form.
template <typename Old>
TxRecord upgrade(Old& old, Trigger trigger, std::vector<RemoteCallRecord> remote_calls,
                 uint32_t host_calls, std::vector<HostResultRecord> host_results) {
  return TxRecord{std::move(old.module),   std::move(old.reducer),
                  std::move(old.args),     old.timestamp_us,
                  old.random_seed,         std::move(old.caller),
                  std::move(trigger),      std::move(old.effects),
                  std::move(remote_calls), host_calls,
                  std::move(host_results), 0};
}

// An older record with its trigger as text: nullopt if the text is not one.
template <typename Old>
std::optional<TxRecord> upgrade_text_trigger(Old& old, std::vector<RemoteCallRecord> remote_calls,
                                             uint32_t host_calls,
                                             std::vector<HostResultRecord> host_results) {
  auto trigger = Trigger::parse(old.trigger);
  if (!trigger) return std::nullopt;
  return upgrade(old, std::move(*trigger), std::move(remote_calls), host_calls,
                 std::move(host_results));
}

}  // namespace

std::vector<RemoteCallRecord> upgrade_calls(std::vector<RemoteCallRecordV1> old) {
  std::vector<RemoteCallRecord> calls;
  calls.reserve(old.size());
  for (RemoteCallRecordV1& c : old)
    calls.push_back(RemoteCallRecord{c.call_id, std::move(c.alias), std::move(c.address),
                                     std::move(c.module), std::move(c.reducer), std::move(c.args),
                                     std::move(c.caller_module), std::move(c.callback), false, 0});
  return calls;
}

std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload) {
  if (auto record = abi::from_bytes<TxRecord>(payload)) return record;
  if (auto v6 = abi::from_bytes<TxRecordV6>(payload))
    return upgrade(*v6, std::move(v6->trigger), std::move(v6->remote_calls), v6->host_calls,
                   std::move(v6->host_results));
  if (auto v5 = abi::from_bytes<TxRecordV5>(payload))
    return upgrade(*v5, std::move(v5->trigger), upgrade_calls(std::move(v5->remote_calls)),
                   v5->host_calls, std::move(v5->host_results));
  if (auto v4 = abi::from_bytes<TxRecordV4>(payload)) {
    TriggerV4& t = v4->trigger;
    Trigger trigger{
        t.kind, std::move(t.node), std::move(t.module), std::move(t.table), t.op, t.call_id, {}};
    return upgrade(*v4, std::move(trigger), upgrade_calls(std::move(v4->remote_calls)),
                   v4->host_calls, std::move(v4->host_results));
  }
  if (auto v3 = abi::from_bytes<TxRecordV3>(payload))
    return upgrade_text_trigger(*v3, upgrade_calls(std::move(v3->remote_calls)), v3->host_calls,
                                std::move(v3->host_results));
  if (auto v2 = abi::from_bytes<TxRecordV2>(payload))
    return upgrade_text_trigger(*v2, upgrade_calls(std::move(v2->remote_calls)), 0, {});
  auto v1 = abi::from_bytes<TxRecordV1>(payload);
  if (!v1) return std::nullopt;
  return upgrade_text_trigger(*v1, {}, 0, {});
}

}  // namespace interstice::storage
