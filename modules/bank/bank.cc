// The bank of the transfer benchmark (bench/transfer_bench.cc), the workload
// of SpacetimeDB's published benchmark: accounts with balances, and
// transfer(from, to, amount), which reads both rows and updates both, or
// refuses (an unknown account, the same account, too little money).
#include <interstice/sdk.h>

INTERSTICE_MODULE(bank, "0.1.0", interstice::Visibility::Public)

struct Account {
  uint64_t id = 0;
  int64_t balance = 0;
  INTERSTICE_TYPE(Account, id, balance)
};
INTERSTICE_TABLE(accounts, Account, primary_key(&Account::id), public_table())

using interstice::ReducerContext;

// Opens accounts first..first+count-1, each with `balance`.
void open_accounts(ReducerContext& ctx, uint64_t first, uint32_t count, int64_t balance) {
  for (uint64_t id = first; id < first + count; ++id)
    if (!ctx.table<accounts>().insert(Account{id, balance}).ok())
      return ctx.fail("account " + std::to_string(id) + " exists");
}
INTERSTICE_REDUCER(open_accounts, "first", "count", "balance")

void transfer(ReducerContext& ctx, uint64_t from, uint64_t to, int64_t amount) {
  if (from == to || amount <= 0) return ctx.fail("a transfer goes between two accounts");
  auto source = ctx.table<accounts>().get(from);
  auto target = ctx.table<accounts>().get(to);
  if (!source || !target) return ctx.fail("no such account");
  if (source->balance < amount) return ctx.fail("insufficient funds");
  source->balance -= amount;
  target->balance += amount;
  ctx.table<accounts>().update(*source);
  ctx.table<accounts>().update(*target);
}
INTERSTICE_REDUCER(transfer, "from", "to", "amount")
