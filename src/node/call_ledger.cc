#include "node/call_ledger.h"

#include <tuple>

#include "abi/serialize.h"

namespace interstice::node {

void CallLedger::add_pending(storage::RemoteCallRecord call) {
  base::MutexLock lock(mutex_);
  uint64_t id = call.call_id;
  pending_[id] = std::move(call);
}

std::string CallLedger::caller_of(uint64_t call_id) {
  base::MutexLock lock(mutex_);
  auto it = pending_.find(call_id);
  return it == pending_.end() ? std::string() : it->second.caller_module;
}

std::optional<storage::RemoteCallRecord> CallLedger::take_pending(uint64_t call_id) {
  base::MutexLock lock(mutex_);
  auto it = pending_.find(call_id);
  if (it == pending_.end()) return std::nullopt;
  storage::RemoteCallRecord call = std::move(it->second);
  pending_.erase(it);
  return call;
}

std::vector<storage::RemoteCallRecord> CallLedger::pending() {
  base::MutexLock lock(mutex_);
  std::vector<storage::RemoteCallRecord> out;
  out.reserve(pending_.size());
  for (const auto& [id, call] : pending_) out.push_back(call);
  return out;
}

void CallLedger::remember_peer_call(storage::PeerCallRecord call) {
  base::MutexLock lock(mutex_);
  remember_locked(std::move(call));
}

void CallLedger::remember_locked(storage::PeerCallRecord call) {
  peer_calls_.push_back(std::move(call));
  if (peer_calls_.size() > kMaxPeerCalls) peer_calls_.pop_front();
}

std::vector<storage::PeerCallRecord> CallLedger::peer_calls() {
  base::MutexLock lock(mutex_);
  return {peer_calls_.begin(), peer_calls_.end()};
}

void CallLedger::note_remote_position(storage::RemotePositionRecord record) {
  base::MutexLock lock(mutex_);
  note_position_locked(std::move(record));
}

void CallLedger::note_position_locked(storage::RemotePositionRecord record) {
  auto key = std::make_tuple(record.subscriber, record.node, record.module, record.table);
  positions_[std::move(key)] = std::move(record);
}

abi::RemotePosition CallLedger::remote_position(const std::string& subscriber,
                                                const std::string& node, const std::string& module,
                                                const std::string& table) {
  base::MutexLock lock(mutex_);
  auto it = positions_.find(std::make_tuple(subscriber, node, module, table));
  return it == positions_.end() ? abi::RemotePosition{} : it->second.position;
}

std::vector<storage::RemotePositionRecord> CallLedger::remote_positions() {
  base::MutexLock lock(mutex_);
  std::vector<storage::RemotePositionRecord> out;
  for (const auto& [key, record] : positions_) out.push_back(record);
  return out;
}

void CallLedger::apply(const storage::TxRecord& record) {
  base::MutexLock lock(mutex_);
  const storage::Trigger& trigger = record.trigger;
  if (trigger.kind == storage::TriggerKind::RemoteTable && trigger.remote.offset > 0)
    note_position_locked(
        {record.module, trigger.node, trigger.module, trigger.table, trigger.remote});
  if (trigger.kind == storage::TriggerKind::PeerCall)
    remember_locked({record.caller, trigger.call_id});
  for (const storage::RemoteCallRecord& call : record.remote_calls) pending_[call.call_id] = call;
  if (trigger.kind == storage::TriggerKind::RemoteResult) {
    // (call id, ok, error) and, for a query, its value: the call id leads.
    abi::Reader r(record.args.data);
    uint64_t call_id = 0;
    abi::decode(r, call_id);
    if (r.ok()) pending_.erase(call_id);
  }
}

void CallLedger::restore(const storage::SnapshotData& snapshot) {
  base::MutexLock lock(mutex_);
  for (const storage::RemoteCallRecord& call : snapshot.pending_calls)
    pending_[call.call_id] = call;
  for (const storage::PeerCallRecord& call : snapshot.peer_calls) remember_locked(call);
  for (const storage::RemotePositionRecord& record : snapshot.remote_positions)
    note_position_locked(record);
}

void CallLedger::clear() {
  base::MutexLock lock(mutex_);
  pending_.clear();
  peer_calls_.clear();
  positions_.clear();
}

}  // namespace interstice::node
