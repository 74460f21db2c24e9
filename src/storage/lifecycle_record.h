// Lifecycle records: the log's entries for what changed the set of modules
// (docs/storage.md, "Lifecycle records"). Each is a TxRecord whose trigger
// kind is NodeStart, Publish or Remove, with no reducer and no effects, so
// every reader of transactions passes over it; replay reads them to run
// each transaction with the module version that ran it.
//   NodeStart: module empty; args = NodeStartRecord.
//   Publish:   module = the module; args = ModuleVersion; timestamp_us and
//              random_seed are the inputs its migrations ran with.
//   Remove:    module = the module; args empty.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/tx_record.h"

namespace interstice::storage {

struct ModuleVersion {
  std::string name;
  std::string hash;  // sha256 of its wasm, hex: DATA_DIR/store/<hash>.wasm
  INTERSTICE_TYPE(ModuleVersion, name, hash)
};

struct NodeStartRecord {
  std::vector<ModuleVersion> modules;  // loaded, in load order
  uint64_t snapshot = 0;  // the offset of the snapshot the node restored, or 0 for none
  INTERSTICE_TYPE(NodeStartRecord, modules, snapshot)
};

inline TxRecord node_start_record(NodeStartRecord start) {
  TxRecord r;
  r.trigger.kind = TriggerKind::NodeStart;
  r.args.data = abi::to_bytes(start);
  return r;
}

inline TxRecord publish_record(ModuleVersion version, int64_t timestamp_us, uint64_t seed) {
  TxRecord r;
  r.module = version.name;
  r.trigger.kind = TriggerKind::Publish;
  r.args.data = abi::to_bytes(version);
  r.timestamp_us = timestamp_us;
  r.random_seed = seed;
  return r;
}

inline TxRecord remove_record(const std::string& module) {
  TxRecord r;
  r.module = module;
  r.trigger.kind = TriggerKind::Remove;
  return r;
}

}  // namespace interstice::storage
