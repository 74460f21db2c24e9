// testkit: a module that exercises every runtime feature for the tests:
// auto_inc, unique and non-unique indexes, range scans, updates, deletes,
// failures, traps, endless loops, WASI output, time and randomness.
#include <interstice/sdk.h>

#include <cstdio>
#include <ctime>

#include "testkit_types.h"

INTERSTICE_MODULE(testkit, "1.2.3", interstice::Visibility::Public)

INTERSTICE_TABLE(items, Item, primary_key(&Item::id), auto_inc(&Item::id),
                 unique_index(&Item::name, "by_name"), index(&Item::score, "by_score"),
                 public_table())

// A private table: only the operator may read it through the node, and no
// peer may subscribe to it.
INTERSTICE_TABLE(secrets, Secret, primary_key(&Secret::id), auto_inc(&Secret::id))

using interstice::ReducerContext;

static std::string describe(const Item& item) {
  return std::to_string(item.id) + ":" + item.name + ":" + std::to_string(item.score);
}

void add(ReducerContext& ctx, std::string name, int32_t score) {
  auto inserted = ctx.table<items>().insert(Item{0, name, score});
  if (!inserted.ok())
    ctx.fail("cannot add " + name + ": status " + std::to_string(int(inserted.status)));
  ctx.log("added " + describe(*inserted.row));
}
INTERSTICE_REDUCER(add, "name", "score")

void add_with_id(ReducerContext& ctx, uint64_t id, std::string name) {
  auto inserted = ctx.table<items>().insert(Item{id, name, 0});
  if (!inserted.ok())
    ctx.fail("cannot add " + name + ": status " + std::to_string(int(inserted.status)));
}
INTERSTICE_REDUCER(add_with_id, "id", "name")

void add_then_trap(ReducerContext& ctx, std::string name) {
  ctx.table<items>().insert(Item{0, name, 1});
  __builtin_trap();
}
INTERSTICE_REDUCER(add_then_trap, "name")

void add_then_fail(ReducerContext& ctx, std::string name) {
  ctx.table<items>().insert(Item{0, name, 1});
  ctx.fail("changed my mind about " + name);
}
INTERSTICE_REDUCER(add_then_fail, "name")

void spin(ReducerContext& ctx) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}
INTERSTICE_REDUCER(spin)

void set_score(ReducerContext& ctx, uint64_t id, int32_t score) {
  auto item = ctx.table<items>().get(id);
  if (!item) ctx.fail("no item " + std::to_string(id));
  item->score = score;
  if (ctx.table<items>().update(*item) != interstice::abi::Status::Ok) ctx.fail("update refused");
}
INTERSTICE_REDUCER(set_score, "id", "score")

void rename(ReducerContext& ctx, uint64_t id, std::string name) {
  auto item = ctx.table<items>().get(id);
  if (!item) ctx.fail("no item " + std::to_string(id));
  item->name = name;
  auto status = ctx.table<items>().update(*item);
  if (status != interstice::abi::Status::Ok)
    ctx.fail("rename refused: status " + std::to_string(int(status)));
}
INTERSTICE_REDUCER(rename, "id", "name")

void remove_item(ReducerContext& ctx, uint64_t id) {
  ctx.log(ctx.table<items>().remove(id) ? "removed" : "absent");
}
INTERSTICE_REDUCER(remove_item, "id")

void find_name(ReducerContext& ctx, std::string name) {
  std::string found;
  for (const Item& item : ctx.table<items>().find<&Item::name>(name)) found += describe(item) + " ";
  ctx.log("find " + name + ": " + found);
}
INTERSTICE_REDUCER(find_name, "name")

void scores_between(ReducerContext& ctx, int32_t lo, int32_t hi) {
  std::string found;
  for (const Item& item : ctx.table<items>().range_by<&Item::score>(lo, hi))
    found += describe(item) + " ";
  ctx.log("scores " + std::to_string(lo) + ".." + std::to_string(hi) + ": " + found);
}
INTERSTICE_REDUCER(scores_between, "lo", "hi")

void ids_between(ReducerContext& ctx, uint64_t lo, uint64_t hi) {
  std::string found;
  for (const Item& item : ctx.table<items>().range(lo, hi)) found += describe(item) + " ";
  ctx.log("ids " + std::to_string(lo) + ".." + std::to_string(hi) + ": " + found);
}
INTERSTICE_REDUCER(ids_between, "lo", "hi")

// Scans while inserting: the cursor must neither crash nor loop forever.
void double_all(ReducerContext& ctx) {
  int added = 0;
  for (const Item& item : ctx.table<items>().scan()) {
    if (++added > 1000) ctx.fail("the scan did not end");
    ctx.table<items>().insert(Item{0, item.name + "+", item.score});
  }
  ctx.log("count " + std::to_string(ctx.table<items>().count()));
}
INTERSTICE_REDUCER(double_all)

// Writes a row that is not an Item, straight through the host call.
void bad_row(ReducerContext& ctx) {
  uint8_t garbage[3] = {1, 2, 3};
  int64_t r = interstice::sdk::host::ihost_table_insert(0, garbage, 3);
  ctx.log("bad row status " + std::to_string(-r));
}
INTERSTICE_REDUCER(bad_row)

// Passes a pointer outside linear memory to a host call: the module traps.
void wild_pointer(ReducerContext& ctx) {
  interstice::sdk::host::ihost_log(2, reinterpret_cast<const void*>(0x7ffffff0), 100);
}
INTERSTICE_REDUCER(wild_pointer)

// Time, randomness and stdout, through the SDK and through WASI (libc).
void observe(ReducerContext& ctx) {
  ctx.log("timestamp " + std::to_string(ctx.timestamp()) + " random " +
          std::to_string(ctx.random()));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("wasi clock %lld\n", static_cast<long long>(ts.tv_sec));
  fflush(stdout);
}
INTERSTICE_REDUCER(observe)

void on_update(ReducerContext& ctx, Item before, Item after) {
  ctx.log("updated " + describe(before) + " -> " + describe(after));
}
INTERSTICE_SUBSCRIBE(on_update, "testkit.items.update", "before", "after")

void on_delete(ReducerContext& ctx, Item removed) {
  ctx.log("deleted " + describe(removed));
}
INTERSTICE_SUBSCRIBE(on_delete, "testkit.items.delete", "removed")

// Calls between modules: queued, run after this transaction commits.
void call_hello(ReducerContext& ctx, std::string name) {
  auto status = ctx.call("hello", "hello", name);
  ctx.log("call hello status " + std::to_string(int(status)));
}
INTERSTICE_REDUCER(call_hello, "name")

void call_then_fail(ReducerContext& ctx, std::string name) {
  ctx.call("hello", "hello", name);
  ctx.fail("failing after the call");
}
INTERSTICE_REDUCER(call_then_fail, "name")

void call_badly(ReducerContext& ctx) {
  ctx.log("missing module " + std::to_string(int(ctx.call("nowhere", "x"))) + ", missing reducer " +
          std::to_string(int(ctx.call("hello", "nope"))) + ", bad arguments " +
          std::to_string(int(ctx.call("hello", "hello", uint32_t(7)))));
}
INTERSTICE_REDUCER(call_badly)

void whoami(ReducerContext& ctx) {
  ctx.log("caller '" + ctx.caller() + "'");
}
INTERSTICE_REDUCER(whoami)

void call_whoami(ReducerContext& ctx) {
  ctx.call("testkit", "whoami");
}
INTERSTICE_REDUCER(call_whoami)

// Recursion `depth` deep with a 1 KiB frame on the shadow stack: deep enough
// overflows it (a memory fault) or wasm's own stack.
static uint32_t descend(uint32_t depth) {
  volatile char frame[1024];
  frame[depth % sizeof(frame)] = static_cast<char>(depth);
  return depth == 0 ? 0 : descend(depth - 1) + frame[depth % sizeof(frame)];
}
void recurse(ReducerContext& ctx, uint32_t depth) {
  ctx.log("recursed " + std::to_string(descend(depth)));
}
INTERSTICE_REDUCER(recurse, "depth")

// Allocates `bytes` on the heap and fails without freeing them (a trap never
// runs destructors): a leak per call unless the instance is restored.
void leak_then_fail(ReducerContext& ctx, uint32_t bytes) {
  auto* block = new std::vector<char>(bytes, 'x');
  ctx.fail("refused after allocating " + std::to_string(block->size()) + " bytes");
}
INTERSTICE_REDUCER(leak_then_fail, "bytes")

// Who may call what: an internal reducer, and calls that try to reach what
// only the node may call.
void internal_add(ReducerContext& ctx, std::string name) {
  auto inserted = ctx.table<items>().insert(Item{0, name, 0});
  if (!inserted.ok()) ctx.fail("cannot add " + name);
}
INTERSTICE_INTERNAL_REDUCER(internal_add, "name")

void call_internal(ReducerContext& ctx, std::string name) {
  ctx.log("call internal_add status " +
          std::to_string(int(ctx.call("testkit", "internal_add", name))));
}
INTERSTICE_REDUCER(call_internal, "name")

void call_handler(ReducerContext& ctx) {
  ctx.log("call on_delete status " +
          std::to_string(int(ctx.call("testkit", "on_delete", Item{99, "forged", 0}))));
}
INTERSTICE_REDUCER(call_handler)

// Growth without end, for the node's bounds: rows, calls and log lines.
void grow(ReducerContext& ctx, uint32_t rows, uint32_t bytes) {
  for (uint32_t i = 0; i < rows; ++i) {
    std::string name = std::to_string(ctx.random()) + std::string(bytes, 'g');
    auto inserted = ctx.table<items>().insert(Item{0, name, 0});
    if (!inserted.ok())
      ctx.fail("insert " + std::to_string(i) + " refused: status " +
               std::to_string(int(inserted.status)));
  }
}
INTERSTICE_REDUCER(grow, "rows", "bytes")

// Queues `width` calls of itself, each carrying `bytes` bytes.
void fan_out(ReducerContext& ctx, uint32_t width, std::string payload) {
  for (uint32_t i = 0; i < width; ++i) {
    auto status = ctx.call("testkit", "fan_out", width, payload);
    if (status != interstice::abi::Status::Ok) {
      ctx.log("fan_out stopped at " + std::to_string(i) + ": status " +
              std::to_string(int(status)));
      return;
    }
  }
}
INTERSTICE_REDUCER(fan_out, "width", "payload")

// Queues `count` calls of spin, each of which burns its whole fuel budget.
void spin_many(ReducerContext& ctx, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i)
    if (ctx.call("testkit", "spin") != interstice::abi::Status::Ok) ctx.fail("call refused");
}
INTERSTICE_REDUCER(spin_many, "count")

void shout(ReducerContext& ctx, uint32_t lines, uint32_t bytes) {
  for (uint32_t i = 0; i < lines; ++i) ctx.log("shout " + std::string(bytes, 's'));
}
INTERSTICE_REDUCER(shout, "lines", "bytes")

void keep_secret(ReducerContext& ctx, std::string text) {
  ctx.table<secrets>().insert(Secret{0, text});
}
INTERSTICE_REDUCER(keep_secret, "text")
