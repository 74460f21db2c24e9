#include "node/snapshot_restore.h"

namespace interstice::node {

base::Result<void> restore_tables(runtime::Runtime& runtime, storage::SnapshotData& snapshot) {
  for (storage::TableImage& image : snapshot.tables) {
    runtime::Runtime::TableImage table{image.module, image.table, image.auto_inc_next, {}};
    table.rows.reserve(image.rows.size());
    for (abi::Bytes& row : image.rows) table.rows.push_back(std::move(row.data));
    if (auto r = runtime.import_table(table); !r) return r;
  }
  return {};
}

}  // namespace interstice::node
