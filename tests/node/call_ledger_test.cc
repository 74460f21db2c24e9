// The call ledger: what the log and snapshots say of calls between nodes.
#include "node/call_ledger.h"

#include <gtest/gtest.h>

#include <tuple>

#include "abi/serialize.h"

namespace interstice::node {
namespace {

storage::RemoteCallRecord remote_call(uint64_t id, std::string caller) {
  storage::RemoteCallRecord call;
  call.call_id = id;
  call.alias = "B";
  call.module = "hello";
  call.reducer = "greet";
  call.caller_module = std::move(caller);
  call.callback = "on_result";
  return call;
}

TEST(CallLedger, ALoggedCallIsPendingUntilItsOutcomeIsLogged) {
  CallLedger ledger;
  storage::TxRecord made;
  made.module = "caller";
  made.remote_calls = {remote_call(7, "caller"), remote_call(8, "caller")};
  ledger.apply(made);
  EXPECT_EQ(ledger.caller_of(7), "caller");
  ASSERT_EQ(ledger.pending().size(), 2u);

  storage::TxRecord outcome;
  outcome.module = "caller";
  outcome.trigger.kind = storage::TriggerKind::RemoteResult;
  outcome.args.data = abi::to_bytes(std::make_tuple(uint64_t{7}, true, std::string()));
  ledger.apply(outcome);
  EXPECT_EQ(ledger.caller_of(7), "");
  ASSERT_EQ(ledger.pending().size(), 1u);
  EXPECT_EQ(ledger.pending()[0].call_id, 8u);
  // Taken once: a repeated outcome finds nothing.
  EXPECT_TRUE(ledger.take_pending(8).has_value());
  EXPECT_FALSE(ledger.take_pending(8).has_value());
}

TEST(CallLedger, PeerCallsAreRememberedUpToTheBound) {
  CallLedger ledger;
  storage::TxRecord ran;
  ran.caller = "peer-a";
  ran.trigger.kind = storage::TriggerKind::PeerCall;
  ran.trigger.call_id = 1;
  ledger.apply(ran);
  for (uint64_t id = 2; id <= CallLedger::kMaxPeerCalls + 5; ++id)
    ledger.remember_peer_call({"peer-b", id});
  std::vector<storage::PeerCallRecord> calls = ledger.peer_calls();
  ASSERT_EQ(calls.size(), CallLedger::kMaxPeerCalls);
  EXPECT_EQ(calls.front().call_id, 6u);  // the oldest went first
  EXPECT_EQ(calls.back().call_id, CallLedger::kMaxPeerCalls + 5);
}

TEST(CallLedger, ASnapshotAddsToWhatIsRememberedAndClearForgetsAll) {
  CallLedger ledger;
  storage::SnapshotData snapshot;
  snapshot.pending_calls = {remote_call(3, "m")};
  snapshot.peer_calls = {{"peer-a", 9}};
  ledger.restore(snapshot);
  ledger.add_pending(remote_call(4, "n"));
  EXPECT_EQ(ledger.pending().size(), 2u);
  EXPECT_EQ(ledger.caller_of(4), "n");
  ASSERT_EQ(ledger.peer_calls().size(), 1u);
  EXPECT_EQ(ledger.peer_calls()[0].peer, "peer-a");
  ledger.clear();
  EXPECT_TRUE(ledger.pending().empty());
  EXPECT_TRUE(ledger.peer_calls().empty());
}

}  // namespace
}  // namespace interstice::node
