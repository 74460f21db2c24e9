// A committed transaction as the log records it (storage/tx_record.h).
//
// encode_tx_record writes the bytes of abi::to_bytes(to_tx_record(tx))
// straight from the transaction, without first copying its arguments and
// rows into a TxRecord: it runs on the executor once per transaction.
// to_tx_record is the reference it must match byte for byte (tested).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/runtime.h"
#include "storage/tx_record.h"

namespace interstice::node {

// The log's form of a remote call.
storage::RemoteCallRecord remote_call_record(const runtime::RemoteCall& call);

storage::TxRecord to_tx_record(const runtime::CommittedTransaction& tx);

// Appends the record's encoding to `out`.
void encode_tx_record(const runtime::CommittedTransaction& tx, std::vector<uint8_t>& out);

}  // namespace interstice::node
