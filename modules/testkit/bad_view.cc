// Test fixture: a view that does not fit its table (`level` is a number,
// and :reader is a string): the node refuses the module at load.
#include <interstice/sdk.h>

INTERSTICE_MODULE(bad_view, "0.1.0", interstice::Visibility::Public)

struct Entry {
  uint64_t id = 0;
  uint32_t level = 0;
  INTERSTICE_TYPE(Entry, id, level)
};
INTERSTICE_TABLE(entries, Entry, primary_key(&Entry::id), public_table(), view("level = :reader"))

void add(interstice::ReducerContext& ctx, uint64_t id) {
  ctx.table<entries>().insert(Entry{id, 1});
}
INTERSTICE_REDUCER(add, "id")
