// The parallel benchmark's module (bench/parallel_bench), built four times
// under the names busy1..busy4 (BUSY_NAME): a no-op reducer, a single-row
// insert and a reducer that computes for a while, with no subscription
// between the modules, so the node may run them on different executors.
#include <interstice/sdk.h>

#ifndef BUSY_NAME
#define BUSY_NAME busy1
#endif
// Expand BUSY_NAME before INTERSTICE_MODULE (or #) stringifies it.
#define BUSY_MODULE(name) INTERSTICE_MODULE(name, "0.1.0", interstice::Visibility::Private)
BUSY_MODULE(BUSY_NAME)
#define BUSY_TEXT(name) #name
#define BUSY_STRING(name) BUSY_TEXT(name)

struct Entry {
  uint64_t id = 0;
  uint64_t value = 0;
  INTERSTICE_TYPE(Entry, id, value)
};
INTERSTICE_TABLE(entries, Entry, primary_key(&Entry::id), auto_inc(&Entry::id))

using interstice::ReducerContext;

void noop(ReducerContext&) {}
INTERSTICE_REDUCER(noop)

void insert(ReducerContext& ctx, uint64_t value) {
  ctx.table<entries>().insert(Entry{0, value + ctx.random() % 2});
}
INTERSTICE_REDUCER(insert, "value")

// Computes `rounds` steps of a xorshift-multiply mix: CPU-bound work that the
// compiler cannot fold into fewer steps.
volatile uint64_t spun = 0;
void spin(ReducerContext&, uint32_t rounds) {
  uint64_t x = rounds;
  for (uint32_t i = 0; i < rounds; ++i) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull + i;
  spun = x;
}
INTERSTICE_REDUCER(spin, "rounds")

// Inserts a row, then calls `insert` of the module named `target`: with the
// two modules on different executors, the call is a message between them.
void insert_and_call(ReducerContext& ctx, std::string target, uint64_t value) {
  ctx.table<entries>().insert(Entry{0, value});
  ctx.call(target, "insert", value);
}
INTERSTICE_REDUCER(insert_and_call, "target", "value")

// Inserts a row and calls `bounce` of `back` with this module's name: two
// modules bouncing forever, until their cascade's budget ends it.
void bounce(ReducerContext& ctx, std::string back, uint64_t n) {
  ctx.table<entries>().insert(Entry{0, n});
  ctx.call(back, "bounce", std::string(BUSY_STRING(BUSY_NAME)), n + 1);
}
INTERSTICE_REDUCER(bounce, "back", "n")
