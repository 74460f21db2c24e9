#include "runtime/transaction.h"

#include "runtime/splitmix.h"

namespace interstice::runtime {

uint64_t Transaction::next_random() {
  return splitmix64(random_state_ += kGoldenGamma);
}

abi::Status Transaction::insert(const std::string& module, Table& table, Bytes row,
                                int64_t* assigned, std::string* problem) {
  if (read_only_) {
    *problem = "a query cannot write tables";
    return abi::Status::ReadOnly;
  }
  uint64_t counter = table.auto_inc_next();
  std::string pk;
  abi::Status status = table.insert(std::move(row), assigned, &pk, problem);
  if (status != abi::Status::Ok) return status;
  // The event carries the stored row, with its assigned auto_inc value.
  events_.push_back(
      TableEvent{module, table.name(), EventKind::Insert, {}, *table.find_by_order_key(pk)});
  undo_.push_back(Undo{&table, EventKind::Insert, std::move(pk), {}, counter});
  return status;
}

abi::Status Transaction::update(const std::string& module, Table& table, Bytes row,
                                std::string* problem) {
  if (read_only_) {
    *problem = "a query cannot write tables";
    return abi::Status::ReadOnly;
  }
  Bytes old_row;
  Bytes new_row = row;
  abi::Status status = table.update(std::move(row), &old_row, problem);
  if (status != abi::Status::Ok) return status;
  undo_.push_back(Undo{&table, EventKind::Update, table.primary_order_key(new_row), old_row,
                       table.auto_inc_next()});
  events_.push_back(
      TableEvent{module, table.name(), EventKind::Update, std::move(old_row), std::move(new_row)});
  return status;
}

abi::Status Transaction::remove(const std::string& module, Table& table, ByteView key,
                                std::string* problem) {
  if (read_only_) {
    *problem = "a query cannot write tables";
    return abi::Status::ReadOnly;
  }
  Bytes old_row;
  abi::Status status = table.remove(key, &old_row, problem);
  if (status != abi::Status::Ok) return status;
  undo_.push_back(Undo{&table, EventKind::Delete, {}, old_row, table.auto_inc_next()});
  events_.push_back(TableEvent{module, table.name(), EventKind::Delete, std::move(old_row), {}});
  return status;
}

uint64_t Transaction::queue_remote(RemoteCall call) {
  uint64_t z = splitmix64(inputs_.random_seed ^ (0xa0761d6478bd642full * (remote_.size() + 1)));
  call.call_id = (z >> 1) | 1;  // 63 bits (an i64 for the module), never 0
  queued_bytes_ += call.args.size();
  remote_.push_back(std::move(call));
  return remote_.back().call_id;
}

void Transaction::rollback() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    switch (it->kind) {
      case EventKind::Insert:
        it->table->restore_remove(it->pk);
        break;
      case EventKind::Update:
        it->table->restore_remove(it->pk);
        it->table->restore_insert(std::move(it->old_row));
        break;
      case EventKind::Delete:
        it->table->restore_insert(std::move(it->old_row));
        break;
    }
    it->table->set_auto_inc_next(it->auto_inc_next);
  }
  undo_.clear();
  events_.clear();
  calls_.clear();
  queued_bytes_ = 0;
  remote_.clear();
}

}  // namespace interstice::runtime
