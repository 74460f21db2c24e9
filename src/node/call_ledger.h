// CallLedger: the calls between nodes that the node must remember across a
// restart (docs/storage.md, "Remote calls"):
// - the remote calls this node's modules made that have no outcome yet, by
//   call id: sent again after a restart, and answered by their callback;
// - the latest calls from peers that ran here (at most kMaxPeerCalls): the
//   peer server answers their repeats without running them again;
// - where each subscriber module got to in each remote table it subscribes
//   to (the last change its log holds): it resumes there.
// (A ledger of what crosses between nodes.)
// Both are rebuilt at recovery, from the snapshot (restore) and then the log
// (apply), and go into every snapshot (pending, peer_calls).
//
// Threading: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/mutex.h"
#include "storage/snapshot.h"
#include "storage/tx_record.h"

namespace interstice::node {

class CallLedger {
 public:
  static constexpr size_t kMaxPeerCalls = 100'000;

  // A remote call made (recorded before it is sent).
  void add_pending(storage::RemoteCallRecord call);
  // The module that made a pending call (empty if it has no such call).
  std::string caller_of(uint64_t call_id);
  // Removes and returns a pending call, once its outcome arrived (nullopt if
  // it was answered already).
  std::optional<storage::RemoteCallRecord> take_pending(uint64_t call_id);
  std::vector<storage::RemoteCallRecord> pending();

  // A call from a peer that ran here (the oldest is forgotten past the bound).
  void remember_peer_call(storage::PeerCallRecord call);
  std::vector<storage::PeerCallRecord> peer_calls();

  // A remote table's change that `subscriber` ran (see above).
  void note_remote_position(storage::RemotePositionRecord record);
  // Where `subscriber` got to in node.module.table ({} if nowhere yet).
  abi::RemotePosition remote_position(const std::string& subscriber, const std::string& node,
                                      const std::string& module, const std::string& table);
  std::vector<storage::RemotePositionRecord> remote_positions();

  // What a logged transaction says of them: the remote calls it made, the
  // outcome it received, the peer call it ran.
  void apply(const storage::TxRecord& record);
  // What a snapshot holds of them, added to what is remembered.
  void restore(const storage::SnapshotData& snapshot);
  void clear();

 private:
  base::Mutex mutex_;
  std::map<uint64_t, storage::RemoteCallRecord> pending_ GUARDED_BY(mutex_);
  std::deque<storage::PeerCallRecord> peer_calls_ GUARDED_BY(mutex_);
  // By subscriber, node, module, table.
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           storage::RemotePositionRecord>
      positions_ GUARDED_BY(mutex_);
  void remember_locked(storage::PeerCallRecord call) REQUIRES(mutex_);
  void note_position_locked(storage::RemotePositionRecord record) REQUIRES(mutex_);
};

}  // namespace interstice::node
