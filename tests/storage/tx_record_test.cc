// decode_tx_record reads this record format and the two before it, which
// logs written before remote calls (first) or privileged host calls' outcomes
// (second) were recorded hold.
#include <gtest/gtest.h>

#include "storage/tx_record.h"

namespace interstice::storage {
namespace {

struct FirstFormat {  // TxRecord as it was: no remote_calls
  std::string module, reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller, trigger;
  std::vector<RowEffect> effects;
  INTERSTICE_TYPE(FirstFormat, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects)
};

struct SecondFormat {  // TxRecord before host_results
  std::string module, reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller, trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecordV1> remote_calls;
  INTERSTICE_TYPE(SecondFormat, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls)
};

// The third: the trigger as text.
struct ThirdFormat {
  std::string module, reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller, trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecordV1> remote_calls;
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(ThirdFormat, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results)
};

// The fourth: the typed trigger without the remote position.
struct FourthTrigger {
  TriggerKind kind = TriggerKind::Call;
  std::string node, module, table;
  EffectKind op = EffectKind::Insert;
  uint64_t call_id = 0;
  INTERSTICE_TYPE(FourthTrigger, kind, node, module, table, op, call_id)
};
struct FourthFormat {
  std::string module, reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  FourthTrigger trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallRecordV1> remote_calls;
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(FourthFormat, module, reducer, args, timestamp_us, random_seed, caller, trigger,
                  effects, remote_calls, host_calls, host_results)
};

// The fifth and sixth formats: today's without the parent, with the remote
// calls as each held them.
template <typename RemoteCallOf>
struct FormatWithoutParent {
  std::string module;
  std::string reducer;
  abi::Bytes args;
  int64_t timestamp_us = 0;
  uint64_t random_seed = 0;
  std::string caller;
  Trigger trigger;
  std::vector<RowEffect> effects;
  std::vector<RemoteCallOf> remote_calls;
  uint32_t host_calls = 0;
  std::vector<HostResultRecord> host_results;
  INTERSTICE_TYPE(FormatWithoutParent, module, reducer, args, timestamp_us, random_seed, caller,
                  trigger, effects, remote_calls, host_calls, host_results)
};
using FifthFormat = FormatWithoutParent<RemoteCallRecordV1>;

TEST(TxRecords, TriggersParseAndPrintBack) {
  for (const char* text : {"", "init", "input", "render", "peer.connect", "peer.disconnect",
                           "hello.greetings.insert", "hello.greetings.update",
                           "MyNode.hello.greetings.delete", "remote_result", "peer_call 42"}) {
    auto trigger = Trigger::parse(text);
    ASSERT_TRUE(trigger) << text;
    EXPECT_EQ(trigger->to_string(), text);
  }
  EXPECT_EQ(Trigger::parse("MyNode.hello.greetings.delete")->kind, TriggerKind::RemoteTable);
  EXPECT_EQ(Trigger::parse("MyNode.hello.greetings.delete")->node, "MyNode");
  EXPECT_EQ(Trigger::parse("hello.greetings.update")->op, EffectKind::Update);
  EXPECT_EQ(Trigger::parse("peer_call 42")->call_id, 42u);
  for (const char* bad : {"hello", "peer_call ", "peer_call x", "peer_call 123456789012345678901",
                          "a.b.c.d.e", "hello.greetings.grow"})
    EXPECT_FALSE(Trigger::parse(bad)) << bad;
}

// The sixth format: today's without the parent.
using SixthFormat = FormatWithoutParent<RemoteCallRecord>;

TEST(TxRecords, TheParentIsKeptAndOlderRecordsHaveNone) {
  TxRecord child{
      "hello", "on_greeting_insert", {}, 7, 9, "", Trigger{TriggerKind::LocalTable}, {}, {}, 0, {},
      41};
  auto decoded = decode_tx_record(abi::to_bytes(child));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->parent, 41u);
  SixthFormat sixth{"hello", "hello", {}, 7, 9, "client:anonymous", {}, {}, {}, 3, {}};
  sixth.effects.push_back(RowEffect{"greetings", EffectKind::Insert, abi::Bytes{{5}}});
  auto from_sixth = decode_tx_record(abi::to_bytes(sixth));
  ASSERT_TRUE(from_sixth);
  EXPECT_EQ(from_sixth->parent, 0u);
  EXPECT_EQ(from_sixth->host_calls, 3u);
  EXPECT_EQ(from_sixth->caller, "client:anonymous");
  ASSERT_EQ(from_sixth->effects.size(), 1u);
}

TEST(TxRecords, EveryFormatDecodes) {
  TxRecord now{"caller", "init", {}, 7, 9, "", Trigger{TriggerKind::Init}, {}, {}, 5, {}};
  now.remote_calls.push_back(
      RemoteCallRecord{42, "MyNode", "127.0.0.1:1", "hello", "hello", {}, "caller", "done"});
  now.remote_calls.push_back(RemoteCallRecord{
      44, "MyNode", "127.0.0.1:1", "board", "texts", {}, "caller", "answered", true, 123456});
  now.host_results.push_back(HostResultRecord{1, -18, {}});
  now.host_results.push_back(HostResultRecord{4, 3, abi::Bytes{{'a', 'b', 'c'}}});
  auto decoded = decode_tx_record(abi::to_bytes(now));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->remote_calls.size(), 2u);
  EXPECT_EQ(decoded->remote_calls[0].call_id, 42u);
  EXPECT_EQ(decoded->remote_calls[0].callback, "done");
  EXPECT_FALSE(decoded->remote_calls[0].query);
  EXPECT_TRUE(decoded->remote_calls[1].query);
  EXPECT_EQ(decoded->remote_calls[1].deadline_us, 123456);

  // A fifth-format record's calls are reducer calls, with no deadline.
  FifthFormat fifth{"caller", "init", {}, 7, 9, "", Trigger{TriggerKind::Init}, {}, {}, 2, {}};
  fifth.remote_calls.push_back(
      RemoteCallRecordV1{45, "MyNode", "127.0.0.1:1", "hello", "hello", {}, "caller", "done"});
  auto from_fifth = decode_tx_record(abi::to_bytes(fifth));
  ASSERT_TRUE(from_fifth);
  ASSERT_EQ(from_fifth->remote_calls.size(), 1u);
  EXPECT_EQ(from_fifth->remote_calls[0].call_id, 45u);
  EXPECT_EQ(from_fifth->remote_calls[0].callback, "done");
  EXPECT_FALSE(from_fifth->remote_calls[0].query);
  EXPECT_EQ(from_fifth->host_calls, 2u);
  EXPECT_EQ(decoded->host_calls, 5u);
  ASSERT_EQ(decoded->host_results.size(), 2u);
  EXPECT_EQ(decoded->host_results[0].call, 1u);
  EXPECT_EQ(decoded->host_results[0].value, -18);
  EXPECT_EQ(decoded->host_results[1].data.data, (std::vector<uint8_t>{'a', 'b', 'c'}));
  EXPECT_EQ(decoded->trigger.kind, TriggerKind::Init);

  // Today's remote position survives; a fourth-format record has none.
  now.trigger = Trigger{
      TriggerKind::RemoteTable,        "MyNode", "hello", "greetings", EffectKind::Update, 0,
      abi::RemotePosition{12, 3, true}};
  decoded = decode_tx_record(abi::to_bytes(now));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->trigger.remote, (abi::RemotePosition{12, 3, true}));
  FourthFormat fourth{"hello", "on_update", {}, 7, 9, "", {}, {}, {}, 4, {}};
  fourth.trigger = FourthTrigger{TriggerKind::RemoteTable, "MyNode", "hello", "greetings",
                                 EffectKind::Delete,       0};
  fourth.effects.push_back(RowEffect{"seen", EffectKind::Insert, abi::Bytes{{5}}});
  auto from_fourth = decode_tx_record(abi::to_bytes(fourth));
  ASSERT_TRUE(from_fourth);
  EXPECT_EQ(
      from_fourth->trigger,
      (Trigger{
          TriggerKind::RemoteTable, "MyNode", "hello", "greetings", EffectKind::Delete, 0, {}}));
  EXPECT_EQ(from_fourth->host_calls, 4u);
  ASSERT_EQ(from_fourth->effects.size(), 1u);
  EXPECT_EQ(from_fourth->effects[0].table, "seen");

  ThirdFormat third{"hello", "on_insert", {}, 7, 9, "", "MyNode.hello.greetings.update",
                    {},      {},          3,  {}};
  third.host_results.push_back(HostResultRecord{2, 7, {}});
  auto from_third = decode_tx_record(abi::to_bytes(third));
  ASSERT_TRUE(from_third);
  EXPECT_EQ(from_third->trigger, (Trigger{TriggerKind::RemoteTable, "MyNode", "hello", "greetings",
                                          EffectKind::Update, 0}));
  EXPECT_EQ(from_third->host_calls, 3u);
  ASSERT_EQ(from_third->host_results.size(), 1u);
  third.trigger = "no.such.trigger.kind.at.all";  // text no version wrote: not a record
  EXPECT_FALSE(decode_tx_record(abi::to_bytes(third)));

  SecondFormat second{"caller", "init", {}, 7, 9, "", "init", {}, {}};
  second.remote_calls.push_back(
      RemoteCallRecordV1{43, "MyNode", "127.0.0.1:1", "hello", "hello", {}, "caller", "done"});
  auto from_second = decode_tx_record(abi::to_bytes(second));
  ASSERT_TRUE(from_second);
  ASSERT_EQ(from_second->remote_calls.size(), 1u);
  EXPECT_EQ(from_second->remote_calls[0].call_id, 43u);
  EXPECT_EQ(from_second->trigger.kind, TriggerKind::Init);
  EXPECT_TRUE(from_second->host_results.empty());

  FirstFormat old{"hello", "hello", abi::Bytes{{1, 2}}, 5, 6, "", "", {}};
  old.effects.push_back(RowEffect{"greetings", EffectKind::Insert, abi::Bytes{{3}}});
  auto upgraded = decode_tx_record(abi::to_bytes(old));
  ASSERT_TRUE(upgraded);
  EXPECT_EQ(upgraded->module, "hello");
  EXPECT_EQ(upgraded->timestamp_us, 5);
  ASSERT_EQ(upgraded->effects.size(), 1u);
  EXPECT_EQ(upgraded->effects[0].table, "greetings");
  EXPECT_TRUE(upgraded->remote_calls.empty());

  std::vector<uint8_t> garbage{1, 2, 3};
  EXPECT_FALSE(decode_tx_record(garbage));
}

}  // namespace
}  // namespace interstice::storage
