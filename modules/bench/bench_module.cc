// The runtime benchmark's module: a no-op reducer, a single-row insert, and
// a table with eight subscribers for fan-out.
#include <interstice/sdk.h>

INTERSTICE_MODULE(bench, "0.1.0", interstice::Visibility::Private)

struct Entry {
  uint64_t id = 0;
  uint64_t value = 0;
  INTERSTICE_TYPE(Entry, id, value)
};
INTERSTICE_TABLE(entries, Entry, primary_key(&Entry::id), auto_inc(&Entry::id))
INTERSTICE_TABLE(events, Entry, primary_key(&Entry::id), auto_inc(&Entry::id))

using interstice::ReducerContext;

void noop(ReducerContext&) {}
INTERSTICE_REDUCER(noop)

void insert(ReducerContext& ctx, uint64_t value) {
  ctx.table<entries>().insert(Entry{0, value});
}
INTERSTICE_REDUCER(insert, "value")

void emit(ReducerContext& ctx, uint64_t value) {
  ctx.table<events>().insert(Entry{0, value});
}
INTERSTICE_REDUCER(emit, "value")

static uint64_t seen = 0;
#define BENCH_SUBSCRIBER(n)                     \
  void on_event_##n(ReducerContext&, Entry e) { \
    seen += e.value;                            \
  }                                             \
  INTERSTICE_SUBSCRIBE(on_event_##n, "bench.events.insert", "row")
BENCH_SUBSCRIBER(1)
BENCH_SUBSCRIBER(2)
BENCH_SUBSCRIBER(3)
BENCH_SUBSCRIBER(4)
BENCH_SUBSCRIBER(5)
BENCH_SUBSCRIBER(6)
BENCH_SUBSCRIBER(7)
BENCH_SUBSCRIBER(8)
