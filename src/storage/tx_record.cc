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

}  // namespace

std::optional<TxRecord> decode_tx_record(std::span<const uint8_t> payload) {
  if (auto record = abi::from_bytes<TxRecord>(payload)) return record;
  auto v1 = abi::from_bytes<TxRecordV1>(payload);
  if (!v1) return std::nullopt;
  return TxRecord{std::move(v1->module),  std::move(v1->reducer), std::move(v1->args),
                  v1->timestamp_us,       v1->random_seed,        std::move(v1->caller),
                  std::move(v1->trigger), std::move(v1->effects), {}};
}

}  // namespace interstice::storage
