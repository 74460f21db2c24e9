#include "storage/tx_record.h"

namespace interstice::storage {
namespace {

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

std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload) {
  if (auto record = abi::from_bytes<TxRecord>(payload)) return record;
  if (auto v2 = abi::from_bytes<TxRecordV2>(payload))
    return TxRecord{std::move(v2->module),
                    std::move(v2->reducer),
                    std::move(v2->args),
                    v2->timestamp_us,
                    v2->random_seed,
                    std::move(v2->caller),
                    std::move(v2->trigger),
                    std::move(v2->effects),
                    std::move(v2->remote_calls),
                    0,
                    {}};
  auto v1 = abi::from_bytes<TxRecordV1>(payload);
  if (!v1) return std::nullopt;
  return TxRecord{std::move(v1->module),
                  std::move(v1->reducer),
                  std::move(v1->args),
                  v1->timestamp_us,
                  v1->random_seed,
                  std::move(v1->caller),
                  std::move(v1->trigger),
                  std::move(v1->effects),
                  {},
                  0,
                  {}};
}

}  // namespace interstice::storage
