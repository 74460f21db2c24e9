#include "node/tx_record_encoder.h"

#include "abi/serialize.h"

namespace interstice::node {

storage::RemoteCallRecord remote_call_record(const runtime::RemoteCall& call) {
  return storage::RemoteCallRecord{
      call.call_id,          call.alias,         call.address,  call.module, call.reducer,
      abi::Bytes{call.args}, call.caller_module, call.callback, call.query,  call.deadline_us};
}

namespace {

// The recorded host results: those that did not simply return 0 without
// bytes, with their call index.
std::vector<storage::HostResultRecord> host_result_records(const runtime::TransactionInputs& in) {
  std::vector<storage::HostResultRecord> records;
  for (uint32_t i = 0; i < in.host_results.size(); ++i) {
    const runtime::HostResult& r = in.host_results[i];
    if (r.value != 0 || !r.data.empty())
      records.push_back(storage::HostResultRecord{i, r.value, abi::Bytes{r.data}});
  }
  return records;
}

const runtime::Bytes& effect_row(const runtime::TableEvent& e) {
  return e.kind == runtime::EventKind::Delete ? e.old_row : e.new_row;
}

// abi::Bytes's encoding, from bytes held elsewhere.
void write_bytes(abi::Writer& w, const runtime::Bytes& bytes) {
  w.length(bytes.size());
  w.raw(bytes.data(), bytes.size());
}

}  // namespace

storage::TxRecord to_tx_record(const runtime::CommittedTransaction& tx) {
  storage::TxRecord record{tx.module,
                           tx.reducer,
                           abi::Bytes{tx.args},
                           tx.inputs.timestamp_us,
                           tx.inputs.random_seed,
                           tx.inputs.caller,
                           tx.trigger,
                           {},
                           {},
                           0,
                           {},
                           tx.parent};
  record.host_calls = static_cast<uint32_t>(tx.inputs.host_results.size());
  record.host_results = host_result_records(tx.inputs);
  record.effects.reserve(tx.effects.size());
  for (const runtime::TableEvent* e : tx.effects)
    record.effects.push_back(storage::RowEffect{e->table, e->kind, abi::Bytes{effect_row(*e)}});
  for (const runtime::RemoteCall& call : tx.remote_calls)
    record.remote_calls.push_back(remote_call_record(call));
  return record;
}

void encode_tx_record(const runtime::CommittedTransaction& tx, std::vector<uint8_t>& out) {
  size_t size = 128 + tx.module.size() + tx.reducer.size() + tx.args.size() +
                tx.inputs.caller.size() + tx.trigger.node.size() + tx.trigger.module.size() +
                tx.trigger.table.size();
  for (const runtime::TableEvent* e : tx.effects)
    size += 16 + e->table.size() + effect_row(*e).size();
  out.reserve(out.size() + size);
  abi::Writer w(out);
  // TxRecord's fields, in its INTERSTICE_TYPE order.
  w.string(tx.module);
  w.string(tx.reducer);
  write_bytes(w, tx.args);
  w.number<int64_t>(tx.inputs.timestamp_us);
  w.number<uint64_t>(tx.inputs.random_seed);
  w.string(tx.inputs.caller);
  abi::encode(w, tx.trigger);
  w.length(tx.effects.size());
  for (const runtime::TableEvent* e : tx.effects) {  // RowEffect: table, kind, row
    w.string(e->table);
    abi::encode(w, e->kind);
    write_bytes(w, effect_row(*e));
  }
  w.length(tx.remote_calls.size());
  for (const runtime::RemoteCall& call : tx.remote_calls) abi::encode(w, remote_call_record(call));
  w.number<uint32_t>(static_cast<uint32_t>(tx.inputs.host_results.size()));
  abi::encode(w, host_result_records(tx.inputs));
  w.number<uint64_t>(tx.parent);
}

}  // namespace interstice::node
