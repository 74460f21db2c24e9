// Restoring a snapshot's tables into a runtime (node recovery and replay).
#pragma once

#include "base/result.h"
#include "runtime/runtime.h"
#include "storage/snapshot.h"

namespace interstice::node {

// Imports every table image of `snapshot` (its rows are moved out).
base::Result<void> restore_tables(runtime::Runtime& runtime, storage::SnapshotData& snapshot);

}  // namespace interstice::node
