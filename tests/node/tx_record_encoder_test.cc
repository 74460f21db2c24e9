// encode_tx_record writes a committed transaction's log record without the
// intermediate TxRecord; it must produce exactly the bytes of
// abi::to_bytes(to_tx_record(tx)), which replay and the log tools decode.
#include <gtest/gtest.h>

#include "abi/serialize.h"
#include "node/tx_record_encoder.h"

namespace interstice::node {
namespace {

struct Parts {
  std::string module = "bank", reducer = "transfer";
  runtime::Bytes args{1, 2, 3, 4};
  runtime::TransactionInputs inputs{1'700'000'000'000'000, 42, "caller_module", {}};
  abi::Trigger trigger;
  std::vector<runtime::TableEvent> events;
  std::vector<runtime::RemoteCall> remote_calls;

  runtime::CommittedTransaction tx() const {
    std::vector<const runtime::TableEvent*> effects;
    for (const runtime::TableEvent& e : events) effects.push_back(&e);
    return runtime::CommittedTransaction{module,  reducer, args,        inputs,
                                         trigger, effects, remote_calls};
  }
};

std::vector<uint8_t> direct(const runtime::CommittedTransaction& tx) {
  std::vector<uint8_t> out;
  encode_tx_record(tx, out);
  return out;
}

TEST(TxRecordEncoder, MatchesTheTxRecordEncodingForAPlainCall) {
  Parts parts;
  parts.events.push_back({"bank", "accounts", abi::TableOp::Update, {9, 9}, {7, 7, 7}});
  parts.events.push_back({"bank", "accounts", abi::TableOp::Insert, {}, {5}});
  parts.events.push_back({"bank", "log", abi::TableOp::Delete, {6, 6}, {}});
  auto tx = parts.tx();
  EXPECT_EQ(direct(tx), abi::to_bytes(to_tx_record(tx)));
  // And it decodes to the record: the deleted row is the old one.
  auto decoded = abi::from_bytes<storage::TxRecord>(direct(tx));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->effects.size(), 3u);
  EXPECT_EQ(decoded->effects[0].row.data, (std::vector<uint8_t>{7, 7, 7}));
  EXPECT_EQ(decoded->effects[2].row.data, (std::vector<uint8_t>{6, 6}));
  EXPECT_EQ(decoded->caller, "caller_module");
}

TEST(TxRecordEncoder, MatchesWithTriggerRemoteCallsAndHostResults) {
  Parts parts;
  parts.trigger = abi::Trigger{
      abi::TriggerKind::RemoteTable,   "peer", "chat", "messages", abi::TableOp::Delete, 0,
      abi::RemotePosition{77, 3, true}};
  parts.inputs.host_results = {{0, {}}, {-5, {}}, {0, {1, 2}}, {0, {}}};
  parts.remote_calls.push_back(
      {"peer", "127.0.0.1:9000", "chat", "post", {8, 8}, "bank", "on_posted", 12});
  parts.remote_calls.push_back({"other", "", "m", "r", {}, "bank", "", 13});
  auto tx = parts.tx();
  EXPECT_EQ(direct(tx), abi::to_bytes(to_tx_record(tx)));
  auto decoded = abi::from_bytes<storage::TxRecord>(direct(tx));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->host_calls, 4u);
  ASSERT_EQ(decoded->host_results.size(), 2u);  // only those that were not 0 without bytes
  EXPECT_EQ(decoded->host_results[0].call, 1u);
  EXPECT_EQ(decoded->remote_calls.size(), 2u);
  EXPECT_EQ(decoded->trigger.remote.offset, 77u);
}

TEST(TxRecordEncoder, AppendsToWhatTheBufferHolds) {
  Parts parts;
  auto tx = parts.tx();
  std::vector<uint8_t> out{0xAA};
  encode_tx_record(tx, out);
  std::vector<uint8_t> expected{0xAA};
  auto record = abi::to_bytes(to_tx_record(tx));
  expected.insert(expected.end(), record.begin(), record.end());
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace interstice::node
