// libFuzzer target: the transaction log as a restarted node reads it
// (storage/transaction_log.h, storage/tx_record.h), in memory. The first
// byte picks what the rest is:
//   0  one record payload, decoded as every log reader does (decode_tx_record),
//      and a lifecycle record's payload as replay does;
//   1  raw segment files (two, split at the second byte), scanned, read,
//      checked, then opened (recovering a torn tail) and appended to;
//   2  record payloads ([u32 length][payload]...) written as a segment with
//      correct checksums, so the scan reaches every payload, then the same
//      steps as 1.
// Opening must never fail on a log that check() found intact, and after
// open() recovered a log, check() must find it intact.
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "fuzz/memory_env.h"
#include "storage/lifecycle_record.h"
#include "storage/log_format.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

using namespace interstice;

namespace {

const std::filesystem::path kDir = "log";

std::vector<uint8_t> segment_header(uint64_t first) {
  std::vector<uint8_t> out;
  storage::log_format::append_segment_header(out, first);
  return out;
}

// A segment whose records are the payloads of `in`, checksums and all.
std::vector<uint8_t> segment_of_payloads(fuzz::Input& in) {
  std::vector<uint8_t> out = segment_header(1);
  for (uint64_t offset = 1;; ++offset) {
    auto prefix = in.take(2);
    if (prefix.size() < 2) break;
    auto payload = in.take(prefix[0] | (prefix[1] << 8));
    storage::log_format::append_record(out, offset, payload);
  }
  return out;
}

void recover(fuzz::MemoryEnv& env) {
  auto visit = [](uint64_t, std::span<const uint8_t> payload) {
    (void)storage::decode_tx_record(payload);
    return true;
  };
  (void)storage::TransactionLog::read(env, kDir, 0, visit);
  (void)storage::TransactionLog::read_tagged(env, kDir, 0, "m", visit);
  auto damage = storage::TransactionLog::check(env, kDir);
  if (!damage) return;
  std::vector<std::string> warnings;
  storage::LogOptions options;
  options.durability = storage::Durability::None;
  auto log = storage::TransactionLog::open(env, kDir, options, &warnings);
  if (!log) {  // corruption before the end: refused, nothing changed
    if (!*damage) fuzz::finding("an intact log does not open", log.error().message);
    return;
  }
  std::vector<uint8_t> record{1, 2, 3};
  if (!(*log)->append(record, {"m"})) fuzz::finding("append after recovery failed");
  if (!(*log)->sync()) fuzz::finding("sync after recovery failed");
  log->reset();
  auto after = storage::TransactionLog::check(env, kDir);
  if (!after || *after) fuzz::finding("the log is damaged after recovery");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t mode = in.byte() % 3;
  if (mode == 0) {
    // A lifecycle record's payload too, as replay decodes it.
    if (auto record = storage::decode_tx_record(in.rest())) {
      if (record->trigger.kind == storage::TriggerKind::NodeStart)
        (void)abi::from_bytes<storage::NodeStartRecord>(record->args.data);
      if (record->trigger.kind == storage::TriggerKind::Publish)
        (void)abi::from_bytes<storage::ModuleVersion>(record->args.data);
      (void)record->trigger.to_string();
    }
    return 0;
  }
  fuzz::MemoryEnv env;
  if (mode == 1) {
    size_t cut = in.byte();
    auto first = in.take(cut * 4);
    env.put(kDir / "00000000000000000001.log", fuzz::to_vector(first));
    auto second = in.rest();
    if (!second.empty()) {
      // The second segment's tags file comes from its first bytes.
      env.put(kDir / "00000000000000000001.log.tags",
              fuzz::to_vector(second.first(std::min<size_t>(second.size(), 16))));
      env.put(kDir / "00000000000000000002.log", fuzz::to_vector(second));
    }
  } else {
    env.put(kDir / "00000000000000000001.log", segment_of_payloads(in));
  }
  recover(env);
  return 0;
}
