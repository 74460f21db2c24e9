// Transaction: one reducer call's writes, undoable. Every write to a Table
// goes through here, which records what to restore on rollback and the
// table events that subscribers receive after commit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "abi/event_name.h"
#include "runtime/table.h"

namespace interstice::runtime {

// What a table event did: the operation a subscription names (abi::to_string
// gives "insert", "update", "delete").
using EventKind = abi::TableOp;

// A committed change to one row, as subscribers see it.
struct TableEvent {
  std::string module;
  std::string table;
  EventKind kind;
  Bytes old_row;  // update, delete
  Bytes new_row;  // insert, update
};

// The outcome of one privileged host call (File, Gpu, Audio): the value it
// returned and, for calls that return bytes through result_read, those
// bytes. The outside world answers these calls, so they are recorded.
struct HostResult {
  int64_t value = 0;
  Bytes data;
};

// The recorded inputs of a transaction: what a reducer may observe.
// What a reader from outside the node may see of a table (a view,
// node/table_view.h): whether `row` of `table` is visible to it. Queries run
// for peers and clients read through one; reducers never do.
using RowFilter = std::function<bool(const Table& table, ByteView row)>;

struct TransactionInputs {
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;                    // the calling module, or empty for the node itself
  std::vector<HostResult> host_results;  // in call order
};

// A reducer call made by a reducer, run after its transaction commits.
struct OutgoingCall {
  std::string module;
  std::string reducer;
  Bytes args;
};

// A reducer call on a remote node, made by a reducer; sent after commit. Its
// outcome runs `callback` of the calling module.
struct RemoteCall {
  std::string alias;
  std::string address;  // from the calling module's schema
  std::string module;
  std::string reducer;
  Bytes args;
  std::string caller_module;
  std::string callback;
  uint64_t call_id = 0;
  bool query = false;       // `reducer` names a query: the outcome carries its value
  int64_t deadline_us = 0;  // a query's: the transaction's timestamp plus its timeout
};

class Transaction {
 public:
  // `replay`: the inputs were recorded, host results included; privileged
  // host calls take theirs from there instead of reaching the back-ends.
  // `read_only`: a query's; every write is refused with ReadOnly.
  explicit Transaction(TransactionInputs inputs, bool replay = false, bool read_only = false)
      : inputs_(std::move(inputs)),
        random_state_(inputs_.random_seed),
        replay_(replay),
        read_only_(read_only) {}

  const TransactionInputs& inputs() const { return inputs_; }
  bool replaying() const { return replay_; }
  bool read_only() const { return read_only_; }
  // A query run for an outside reader reads through its views: rows the
  // filter hides are not found, scanned or counted. Null: every row.
  void set_filter(const RowFilter* filter) { filter_ = filter; }
  const RowFilter* filter() const { return filter_; }
  bool visible(const Table& table, ByteView row) const {
    return !filter_ || (*filter_)(table, row);
  }
  // Live: records a privileged call's outcome. Replay: the next recorded
  // outcome, or null when the reducer makes more calls than were recorded.
  void record_host_result(HostResult result) { inputs_.host_results.push_back(std::move(result)); }
  const HostResult* next_host_result() {
    return replayed_ < inputs_.host_results.size() ? &inputs_.host_results[replayed_++] : nullptr;
  }
  // Replay: recorded outcomes the reducer did not ask for.
  size_t unreplayed_host_results() const { return inputs_.host_results.size() - replayed_; }
  // The next value of the transaction's deterministic generator (SplitMix64).
  uint64_t next_random();

  abi::Status insert(const std::string& module, Table& table, Bytes row, int64_t* assigned,
                     std::string* problem);
  abi::Status update(const std::string& module, Table& table, Bytes row, std::string* problem);
  abi::Status remove(const std::string& module, Table& table, ByteView key, std::string* problem);

  void queue_call(OutgoingCall call) {
    queued_bytes_ += call.args.size();
    calls_.push_back(std::move(call));
  }
  // Calls queued so far (local and remote), and the bytes of their arguments.
  size_t queued_calls() const { return calls_.size() + remote_.size(); }
  size_t queued_call_bytes() const { return queued_bytes_; }
  // Queues a remote call; its id is derived from the transaction's recorded
  // seed and the call's position, so replays compute the same ids.
  uint64_t queue_remote(RemoteCall call);
  const std::vector<RemoteCall>& remote_calls() const { return remote_; }
  std::vector<RemoteCall> take_remote_calls() { return std::move(remote_); }

  // Undoes every write, newest first, and forgets the queued calls.
  void rollback();
  // The events of the committed writes, in write order.
  std::vector<TableEvent> take_events() { return std::move(events_); }
  // The calls queued by the committed transaction, in the order made.
  std::vector<OutgoingCall> take_calls() { return std::move(calls_); }

 private:
  struct Undo {
    Table* table;
    EventKind kind;
    std::string pk;          // insert: the row to remove
    Bytes old_row;           // update, delete: the row to restore
    uint64_t auto_inc_next;  // the counter before the write
  };

  TransactionInputs inputs_;
  uint64_t random_state_;
  bool replay_ = false;
  bool read_only_ = false;
  const RowFilter* filter_ = nullptr;  // the caller's, outliving the transaction
  size_t replayed_ = 0;
  std::vector<Undo> undo_;
  std::vector<TableEvent> events_;
  std::vector<OutgoingCall> calls_;
  std::vector<RemoteCall> remote_;
  size_t queued_bytes_ = 0;
};

}  // namespace interstice::runtime
