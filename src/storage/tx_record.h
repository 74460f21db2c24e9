// TxRecord: the payload of one transaction-log record, in the canonical
// encoding (docs/storage.md). It holds the transaction's inputs (enough to
// re-execute it) and its effects (enough to re-apply it without executing).
#pragma once

#include <cstdint>
#include <string>
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

struct TxRecord {
  std::string module;
  std::string reducer;
  abi::Bytes args;  // the parameters, encoded as a tuple
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;   // the calling module, or empty
  std::string trigger;  // "init", the subscribed event, or empty for direct calls
  std::vector<RowEffect> effects;
  INTERSTICE_TYPE(TxRecord, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects)
};

}  // namespace interstice::storage
