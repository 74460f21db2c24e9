// Table: the rows of one table, in memory, with its primary key (a hash map
// from order_key to row, Abseil's node_hash_map, so a transaction's gets and
// updates are one probe each, beside a B-tree of the keys in order for
// scans), its secondary indexes (B-tree sets) and its auto_inc counter.
// Every row written is validated against the row type. A row's address is
// stable until the row is removed.
//
// Table knows nothing of transactions: the caller (Transaction) records what
// each write replaced and undoes it with the restore_* operations.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "abi/host_calls.h"
#include "runtime/row_layout.h"

namespace interstice::runtime {

// The memory one module's tables hold, shared by its tables: each row counts
// its bytes, its primary key and its index keys, plus a fixed overhead per
// map entry. Inserts and updates by reducers that would take `used` past
// `limit` are refused (QuotaExceeded); recovery and rollbacks never are.
// Owned by the module; single-threaded like the runtime.
struct TableMemory {
  // A row's hash node and B-tree slot, or an index entry, roughly.
  static constexpr size_t kEntryOverhead = 64;
  size_t used = 0;
  size_t limit = SIZE_MAX;
};

class Table {
 public:
  // `memory` (may be null: no accounting, no limit) outlives the table.
  Table(const abi::TableDef& def, const abi::ModuleSchema& schema, TableMemory* memory = nullptr);
  ~Table();

  const abi::TableDef& def() const { return def_; }
  const std::string& name() const { return def_.name; }
  const RowLayout& layout() const { return layout_; }
  size_t size() const;

  // Inserts a row. An auto_inc column holding 0 gets the next counter value
  // (returned in `assigned`, and written into the stored row). Refuses
  // malformed rows (InvalidRow, with `problem`), duplicate keys, and a row
  // beyond the module's table memory (QuotaExceeded). On success
  // `stored_pk` receives the stored row's primary-key order key.
  abi::Status insert(Bytes row, int64_t* assigned, std::string* stored_pk, std::string* problem);
  // Replaces the row with the same primary key; `old_row` receives it. A
  // bigger row that does not fit the table memory is refused (QuotaExceeded).
  abi::Status update(Bytes row, Bytes* old_row, std::string* problem);
  // Deletes the row whose primary key has the encoding `key`.
  abi::Status remove(ByteView key, Bytes* old_row, std::string* problem);
  // The row whose primary key has the encoding `key`, or nullptr.
  const Bytes* get(ByteView key, std::string* problem) const;

  // The stored row (after auto_inc assignment) with the given primary-key order key.
  const Bytes* find_by_order_key(const std::string& pk) const;
  std::string primary_order_key(const Bytes& row) const;

  // Undo operations for rolled-back transactions (no checks, no counters).
  void restore_remove(const std::string& pk);
  void restore_insert(Bytes row);

  // Moves the auto_inc counter past the values in `columns` (a split row), as
  // recovery re-applies inserts.
  void note_auto_inc(const std::vector<ByteView>& columns);

  uint64_t auto_inc_next() const { return auto_inc_next_; }
  void set_auto_inc_next(uint64_t next) { auto_inc_next_ = next; }

  // A position in an index, robust to writes made while it is open: each
  // step looks up the first entry after the last one returned. A scan ends at
  // the last entry that existed when it was opened, so rows inserted beyond
  // that point (say, new auto_inc ids) cannot make it run forever; rows
  // written inside the scanned range ahead of the cursor are seen.
  class Cursor {
   public:
    // The next row, or nullptr at the end of the range.
    const Bytes* next();
    const Table* table() const { return table_; }

   private:
    friend class Table;
    const Table* table_ = nullptr;
    int32_t index_ = -1;  // -1: primary key
    std::optional<std::string> lo_, hi_;
    std::optional<std::pair<std::string, std::string>> last_;  // (index key, pk)
    std::pair<std::string, std::string> end_;                  // the last entry at open time
  };
  // Rows with lo <= column <= hi (bounds optional; encoded like the column) in
  // the order of index `index` (-1 for the primary key).
  abi::Status scan(int32_t index, std::optional<ByteView> lo, std::optional<ByteView> hi,
                   Cursor* cursor, std::string* problem) const;

  // Every row in primary-key order (for queries and tests).
  void for_each(const std::function<void(const Bytes& row)>& f) const;
  // The rows whose primary-key order key is after `after` (all if null), in
  // that order, while f(order_key, row) returns true (for paged reads).
  void for_each_after(const std::string* after,
                      const std::function<bool(const std::string& pk, const Bytes& row)>& f) const;

 private:
  // The containers (table.cc), kept out of this header: Abseil's headers
  // declare a global `abi` namespace alias (cxxabi.h) that would make
  // `abi::` ambiguous wherever `using namespace interstice` is in force.
  struct Store;

  std::string key_of(uint32_t column, const std::vector<ByteView>& columns) const;
  // The auto_inc counter after seeing `value` in auto_inc column `column`:
  // past it, unless it is lower (or negative in a signed column).
  uint64_t counter_past(uint32_t column, ByteView value, uint64_t counter) const;
  abi::Status check_unique(const std::vector<ByteView>& columns, const std::string& pk,
                           std::string* problem) const;
  // The index entries of a row, and its share of the table memory.
  void add_to_indexes(const std::vector<ByteView>& columns, const std::string& pk);
  void remove_from_indexes(const Bytes& row, const std::string& pk);
  void remove_from_indexes(const std::vector<ByteView>& columns, const std::string& pk);
  // What a row costs the table memory (TableMemory).
  size_t footprint(const std::vector<ByteView>& columns, const std::string& pk) const;
  // QuotaExceeded (with `problem`) if `more` bytes do not fit the table memory.
  abi::Status check_memory(size_t more, std::string* problem) const;
  abi::Status order_key_for(uint32_t column, ByteView value, std::string* key,
                            std::string* problem) const;

  const abi::TableDef& def_;
  RowLayout layout_;
  TableMemory* memory_;
  std::unique_ptr<Store> store_;  // rows by pk order key, and the secondary indexes
  uint64_t auto_inc_next_ = 1;
};

}  // namespace interstice::runtime
