// A module that answers questions: its queries read `counts` and return
// values; one of them tries to write, which a query may not do.
#include <interstice/sdk.h>

INTERSTICE_MODULE(counter, "0.1.0", interstice::Visibility::Public)

struct Count {
  std::string label;
  uint64_t count = 0;
  INTERSTICE_TYPE(Count, label, count)
};
INTERSTICE_TABLE(counts, Count, primary_key(&Count::label), public_table())

void bump(interstice::ReducerContext& ctx, std::string label) {
  Count c = ctx.table<counts>().get(label).value_or(Count{label, 0});
  ++c.count;
  if (c.count == 1)
    ctx.table<counts>().insert(c);
  else
    ctx.table<counts>().update(c);
}
INTERSTICE_REDUCER(bump, "label")

uint64_t count_of(interstice::ReducerContext& ctx, std::string label) {
  auto c = ctx.table<counts>().get(label);
  return c ? c->count : 0;
}
INTERSTICE_QUERY(count_of, "label")

// Every label with its count, largest first: a query can return any type.
std::vector<Count> top(interstice::ReducerContext& ctx, uint32_t n) {
  std::vector<Count> all = ctx.table<counts>().scan().collect();
  std::sort(all.begin(), all.end(),
            [](const Count& a, const Count& b) { return a.count > b.count; });
  if (all.size() > n) all.resize(n);
  return all;
}
INTERSTICE_QUERY(top, "n")

// Tries to write: the insert is refused (ReadOnly), and the query says so.
std::string sneaky(interstice::ReducerContext& ctx) {
  auto inserted = ctx.table<counts>().insert(Count{"sneaky", 1});
  if (!inserted.ok())
    ctx.fail("the insert was refused with status " +
             std::to_string(static_cast<int>(inserted.status)));
  return "wrote";
}
INTERSTICE_QUERY(sneaky)
