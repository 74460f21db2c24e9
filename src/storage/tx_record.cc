#include "storage/tx_record.h"

#include "abi/event_name.h"

namespace interstice::storage {
namespace {

// The third record format: TxRecord with the trigger as text.
struct TxRecordV3 {
  std::string module;
  std::string reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  std::string trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecord> remote_calls;
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(TxRecordV3, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results)
};

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
  std::vector<RemoteCallRecord> remote_calls;
  INTERSTICE_TYPE(TxRecordV2, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls)
};

}  // namespace

std::string peer_call_trigger(uint64_t call_id) {
  return "peer_call " + std::to_string(call_id);
}

std::optional<uint64_t> peer_call_id(std::string_view trigger) {
  constexpr std::string_view kPrefix = "peer_call ";
  if (!trigger.starts_with(kPrefix) || trigger.size() == kPrefix.size()) return std::nullopt;
  uint64_t id = 0;
  for (char c : trigger.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  return id;
}

std::optional<Trigger> Trigger::parse(std::string_view text) {
  if (text.empty()) return Trigger{};
  if (text == kRemoteResultTrigger) return Trigger{TriggerKind::RemoteResult};
  if (auto id = peer_call_id(text)) return Trigger{TriggerKind::PeerCall, {}, {}, {}, {}, *id};
  auto event = abi::EventName::parse(text);
  if (!event) return std::nullopt;
  auto op = static_cast<EffectKind>(event->op);
  switch (event->kind) {
    case abi::EventName::Kind::Init:
      return Trigger{TriggerKind::Init};
    case abi::EventName::Kind::Input:
      return Trigger{TriggerKind::Input};
    case abi::EventName::Kind::Render:
      return Trigger{TriggerKind::Render};
    case abi::EventName::Kind::PeerConnect:
      return Trigger{TriggerKind::PeerConnect};
    case abi::EventName::Kind::PeerDisconnect:
      return Trigger{TriggerKind::PeerDisconnect};
    case abi::EventName::Kind::LocalTable:
      return Trigger{TriggerKind::LocalTable, {}, event->module, event->table, op};
    case abi::EventName::Kind::RemoteTable:
      return Trigger{TriggerKind::RemoteTable, event->node, event->module, event->table, op};
  }
  return std::nullopt;
}

std::string Trigger::to_string() const {
  auto event = [&](abi::EventName::Kind kind) {
    return abi::EventName{kind, node, module, table, static_cast<abi::TableOp>(op)}.to_string();
  };
  switch (kind) {
    case TriggerKind::Call:
      return "";
    case TriggerKind::Init:
      return event(abi::EventName::Kind::Init);
    case TriggerKind::LocalTable:
      return event(abi::EventName::Kind::LocalTable);
    case TriggerKind::RemoteTable:
      return event(abi::EventName::Kind::RemoteTable);
    case TriggerKind::PeerConnect:
      return event(abi::EventName::Kind::PeerConnect);
    case TriggerKind::PeerDisconnect:
      return event(abi::EventName::Kind::PeerDisconnect);
    case TriggerKind::Input:
      return event(abi::EventName::Kind::Input);
    case TriggerKind::Render:
      return event(abi::EventName::Kind::Render);
    case TriggerKind::PeerCall:
      return peer_call_trigger(call_id);
    case TriggerKind::RemoteResult:
      return kRemoteResultTrigger;
  }
  return "";
}

namespace {

// An older record with its trigger as text: nullopt if the text is not one.
template <typename Old>
std::optional<TxRecord> upgrade(Old& old, std::vector<RemoteCallRecord> remote_calls,
                                uint32_t host_calls, std::vector<HostResultRecord> host_results) {
  auto trigger = Trigger::parse(old.trigger);
  if (!trigger) return std::nullopt;
  return TxRecord{std::move(old.module),   std::move(old.reducer),
                  std::move(old.args),     old.timestamp_us,
                  old.random_seed,         std::move(old.caller),
                  std::move(*trigger),     std::move(old.effects),
                  std::move(remote_calls), host_calls,
                  std::move(host_results)};
}

}  // namespace

std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload) {
  if (auto record = abi::from_bytes<TxRecord>(payload)) return record;
  if (auto v3 = abi::from_bytes<TxRecordV3>(payload))
    return upgrade(*v3, std::move(v3->remote_calls), v3->host_calls, std::move(v3->host_results));
  if (auto v2 = abi::from_bytes<TxRecordV2>(payload))
    return upgrade(*v2, std::move(v2->remote_calls), 0, {});
  auto v1 = abi::from_bytes<TxRecordV1>(payload);
  if (!v1) return std::nullopt;
  return upgrade(*v1, {}, 0, {});
}

}  // namespace interstice::storage
