#include "runtime/table.h"

#include <absl/container/btree_set.h>
#include <absl/container/node_hash_map.h>
#include <absl/strings/string_view.h>

#include <cstdint>
#include <cstring>

namespace interstice::runtime {

using abi::Status;

struct Table::Store {
  struct Index {
    abi::IndexDef def;
    absl::btree_set<std::pair<std::string, std::string>> entries;  // (index key, pk)
  };
  // pk order key -> row: a lookup by key is one hash probe (a transaction's
  // gets and updates); nodes never move, so `order` can point at the keys.
  absl::node_hash_map<std::string, Bytes> rows;
  absl::btree_set<std::string_view> order;  // the keys of `rows`, in order (scans)
  std::vector<Index> indexes;

  // The row of a key in `order` (Debian's Abseil hashes its own string_view).
  const std::pair<const std::string, Bytes>& row_of(std::string_view key) const {
    return *rows.find(absl::string_view(key.data(), key.size()));
  }
  // Stores `row` under `pk` (replacing the row there), keeping `order` in step.
  void put(std::string pk, Bytes row) {
    auto [stored, inserted] = rows.insert_or_assign(std::move(pk), std::move(row));
    if (inserted) order.insert(stored->first);
  }
  void erase(absl::node_hash_map<std::string, Bytes>::iterator it) {
    order.erase(std::string_view(it->first));
    rows.erase(it);
  }
};

namespace {

const abi::TypeDef& row_type_of(const abi::TableDef& def, const abi::ModuleSchema& schema) {
  return *schema.find_type(def.row_type);  // check_schema guarantees it exists
}

// Writes `value` into the fixed-width little-endian integer column `bytes`.
void store_integer(uint8_t* bytes, size_t width, uint64_t value) {
  for (size_t i = 0; i < width; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t load_integer(ByteView bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) value |= uint64_t(bytes[i]) << (8 * i);
  return value;
}

bool is_signed(abi::TypeKind kind) {
  using abi::TypeKind;
  return kind == TypeKind::I8 || kind == TypeKind::I16 || kind == TypeKind::I32 ||
         kind == TypeKind::I64;
}

bool all_zero(ByteView bytes) {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

}  // namespace

Table::Table(const abi::TableDef& def, const abi::ModuleSchema& schema, TableMemory* memory)
    : def_(def),
      layout_(row_type_of(def, schema), schema.types),
      memory_(memory),
      store_(std::make_unique<Store>()) {
  for (const abi::IndexDef& index : def.indexes) store_->indexes.push_back(Store::Index{index, {}});
}

Table::~Table() = default;

size_t Table::size() const {
  return store_->rows.size();
}

void Table::for_each(const std::function<void(const Bytes& row)>& f) const {
  for (std::string_view pk : store_->order) f(store_->row_of(pk).second);
}

void Table::for_each_after(
    const std::string* after,
    const std::function<bool(const std::string& pk, const Bytes& row)>& f) const {
  const auto& order = store_->order;
  for (auto it = after ? order.upper_bound(*after) : order.begin(); it != order.end(); ++it) {
    const auto& entry = store_->row_of(*it);
    if (!f(entry.first, entry.second)) return;
  }
}

std::string Table::key_of(uint32_t column, const std::vector<ByteView>& columns) const {
  return order_key(columns[column], layout_.column_type(column));
}

std::string Table::primary_order_key(const Bytes& row) const {
  std::vector<ByteView> columns;
  layout_.split(row, &columns);
  return key_of(def_.primary_key, columns);
}

Status Table::check_unique(const std::vector<ByteView>& columns, const std::string& pk,
                           std::string* problem) const {
  for (const Store::Index& index : store_->indexes) {
    if (!index.def.unique) continue;
    std::string key = key_of(index.def.column, columns);
    auto it = index.entries.lower_bound({key, std::string()});
    if (it != index.entries.end() && it->first == key && it->second != pk) {
      *problem = "unique index " + index.def.name + " of table " + def_.name +
                 " already has this " + layout_.column_name(index.def.column);
      return Status::DuplicateKey;
    }
  }
  return Status::Ok;
}

void Table::add_to_indexes(const std::vector<ByteView>& columns, const std::string& pk) {
  for (Store::Index& index : store_->indexes)
    index.entries.emplace(key_of(index.def.column, columns), pk);
  if (memory_) memory_->used += footprint(columns, pk);
}

void Table::remove_from_indexes(const Bytes& row, const std::string& pk) {
  std::vector<ByteView> columns;
  layout_.split(row, &columns);
  remove_from_indexes(columns, pk);
}

void Table::remove_from_indexes(const std::vector<ByteView>& columns, const std::string& pk) {
  for (Store::Index& index : store_->indexes)
    index.entries.erase({key_of(index.def.column, columns), pk});
  if (memory_) memory_->used -= std::min(memory_->used, footprint(columns, pk));
}

size_t Table::footprint(const std::vector<ByteView>& columns, const std::string& pk) const {
  size_t row_bytes = 0;
  for (ByteView column : columns) row_bytes += column.size();
  size_t bytes = TableMemory::kEntryOverhead + row_bytes + pk.size();
  for (const Store::Index& index : store_->indexes)
    bytes += TableMemory::kEntryOverhead + key_of(index.def.column, columns).size() + pk.size();
  return bytes;
}

Status Table::check_memory(size_t more, std::string* problem) const {
  if (!memory_ || memory_->used + more <= memory_->limit) return Status::Ok;
  *problem = "table " + def_.name + ": the module's tables would hold " +
             std::to_string(memory_->used + more) + " bytes, over their limit of " +
             std::to_string(memory_->limit) + " (--table-memory)";
  return Status::QuotaExceeded;
}

Status Table::insert(Bytes row, int64_t* assigned, std::string* stored_pk, std::string* problem) {
  std::vector<ByteView> columns;
  if (std::string why = layout_.split(row, &columns); !why.empty()) {
    *problem = "invalid row for table " + def_.name + ": " + why;
    return Status::InvalidRow;
  }
  *assigned = 0;
  uint64_t next_after = auto_inc_next_;
  for (uint32_t column : def_.auto_inc) {
    ByteView value = columns[column];
    if (!all_zero(value)) {
      // An explicit value moves the counter past it, so later assigned values
      // never collide with it.
      next_after = counter_past(column, value, next_after);
      continue;
    }
    uint64_t v = auto_inc_next_;
    // The value must fit the column, and the insert host call returns it as
    // an i64 whose negative values are statuses.
    uint64_t largest = value.size() >= 8 ? uint64_t(INT64_MAX)
                       : is_signed(layout_.column_type(column).kind)
                           ? (uint64_t(1) << (8 * value.size() - 1)) - 1
                           : (uint64_t(1) << (8 * value.size())) - 1;
    if (v > largest) {
      *problem = "table " + def_.name + ": its auto_inc column " + layout_.column_name(column) +
                 " has no values left (the next would be " + std::to_string(v) +
                 ", past the largest it can assign, " + std::to_string(largest) + ")";
      return Status::QuotaExceeded;
    }
    store_integer(const_cast<uint8_t*>(value.data()), value.size(), v);  // points into `row`
    *assigned = static_cast<int64_t>(v);
    next_after = v + 1;
  }
  std::string pk = key_of(def_.primary_key, columns);
  if (store_->rows.contains(pk)) {
    *problem = "table " + def_.name + " already has a row with this " +
               layout_.column_name(def_.primary_key);
    return Status::DuplicateKey;
  }
  if (Status s = check_unique(columns, pk, problem); s != Status::Ok) return s;
  if (Status s = check_memory(footprint(columns, pk), problem); s != Status::Ok) return s;
  add_to_indexes(columns, pk);
  auto_inc_next_ = next_after;
  *stored_pk = pk;
  store_->put(std::move(pk), std::move(row));
  return Status::Ok;
}

Status Table::update(Bytes row, Bytes* old_row, std::string* problem) {
  std::vector<ByteView> columns;
  if (std::string why = layout_.split(row, &columns); !why.empty()) {
    *problem = "invalid row for table " + def_.name + ": " + why;
    return Status::InvalidRow;
  }
  std::string pk = key_of(def_.primary_key, columns);
  auto it = store_->rows.find(pk);
  if (it == store_->rows.end()) {
    *problem =
        "table " + def_.name + " has no row with this " + layout_.column_name(def_.primary_key);
    return Status::NotFound;
  }
  if (Status s = check_unique(columns, pk, problem); s != Status::Ok) return s;
  std::vector<ByteView> old_columns;  // split once: for the memory check and the indexes
  layout_.split(it->second, &old_columns);
  if (memory_) {
    size_t before = footprint(old_columns, pk), after = footprint(columns, pk);
    if (after > before)
      if (Status s = check_memory(after - before, problem); s != Status::Ok) return s;
  }
  remove_from_indexes(old_columns, pk);
  add_to_indexes(columns, pk);
  *old_row = std::exchange(it->second, std::move(row));
  return Status::Ok;
}

Status Table::order_key_for(uint32_t column, ByteView value, std::string* key,
                            std::string* problem) const {
  if (std::string why = layout_.check_column_value(column, value); !why.empty()) {
    *problem = "invalid key for " + def_.name + "." + layout_.column_name(column) + ": " + why;
    return Status::InvalidRow;
  }
  *key = order_key(value, layout_.column_type(column));
  return Status::Ok;
}

Status Table::remove(ByteView key, Bytes* old_row, std::string* problem) {
  std::string pk;
  if (Status s = order_key_for(def_.primary_key, key, &pk, problem); s != Status::Ok) return s;
  auto it = store_->rows.find(pk);
  if (it == store_->rows.end()) return Status::NotFound;
  remove_from_indexes(it->second, pk);
  *old_row = std::move(it->second);
  store_->erase(it);
  return Status::Ok;
}

const Bytes* Table::get(ByteView key, std::string* problem) const {
  std::string pk;
  if (order_key_for(def_.primary_key, key, &pk, problem) != Status::Ok) return nullptr;
  return find_by_order_key(pk);
}

const Bytes* Table::find_by_order_key(const std::string& pk) const {
  auto it = store_->rows.find(pk);
  return it == store_->rows.end() ? nullptr : &it->second;
}

uint64_t Table::counter_past(uint32_t column, ByteView value, uint64_t counter) const {
  bool negative = is_signed(layout_.column_type(column).kind) && (value.back() & 0x80);
  uint64_t v = load_integer(value);
  return !negative && v >= counter ? v + 1 : counter;
}

void Table::note_auto_inc(const std::vector<ByteView>& columns) {
  for (uint32_t column : def_.auto_inc)
    auto_inc_next_ = counter_past(column, columns[column], auto_inc_next_);
}

void Table::restore_remove(const std::string& pk) {
  auto it = store_->rows.find(pk);
  if (it == store_->rows.end()) return;
  remove_from_indexes(it->second, pk);
  store_->erase(it);
}

void Table::restore_insert(Bytes row) {
  std::vector<ByteView> columns;
  layout_.split(row, &columns);
  std::string pk = key_of(def_.primary_key, columns);
  add_to_indexes(columns, pk);
  store_->put(std::move(pk), std::move(row));
}

Status Table::scan(int32_t index, std::optional<ByteView> lo, std::optional<ByteView> hi,
                   Cursor* cursor, std::string* problem) const {
  if (index < -1 || index >= static_cast<int32_t>(store_->indexes.size())) {
    *problem = "table " + def_.name + " has no index " + std::to_string(index);
    return Status::NoSuchIndex;
  }
  uint32_t column = index < 0 ? def_.primary_key : store_->indexes[index].def.column;
  *cursor = Cursor{};
  cursor->table_ = this;
  cursor->index_ = index;
  std::string key;
  if (lo) {
    if (Status s = order_key_for(column, *lo, &key, problem); s != Status::Ok) return s;
    cursor->lo_ = key;
  }
  if (hi) {
    if (Status s = order_key_for(column, *hi, &key, problem); s != Status::Ok) return s;
    cursor->hi_ = key;
  }
  if (index < 0) {
    if (store_->rows.empty())
      cursor->table_ = nullptr;
    else
      cursor->end_ = {std::string(), std::string(*store_->order.rbegin())};
  } else {
    const auto& entries = store_->indexes[index].entries;
    if (entries.empty())
      cursor->table_ = nullptr;
    else
      cursor->end_ = *entries.rbegin();
  }
  return Status::Ok;
}

const Bytes* Table::Cursor::next() {
  if (table_ == nullptr) return nullptr;
  if (index_ < 0) {
    const auto& order = table_->store_->order;
    auto it =
        last_ ? order.upper_bound(last_->second) : (lo_ ? order.lower_bound(*lo_) : order.begin());
    if (it == order.end() || (hi_ && *it > *hi_) || *it > end_.second) return nullptr;
    last_ = std::make_pair(std::string(), std::string(*it));
    return &table_->store_->row_of(*it).second;
  }
  const auto& entries = table_->store_->indexes[index_].entries;
  auto it = last_ ? entries.upper_bound(*last_)
                  : entries.lower_bound({lo_ ? *lo_ : std::string(), std::string()});
  if (it == entries.end() || (hi_ && it->first > *hi_) || *it > end_) return nullptr;
  last_ = *it;
  return table_->find_by_order_key(it->second);
}

}  // namespace interstice::runtime
