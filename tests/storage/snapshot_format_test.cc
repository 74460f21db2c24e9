// Snapshot formats: a pending remote query keeps its flag and deadline
// through a snapshot, and a snapshot of the fourth format (pending calls
// without them, written before remote queries) still reads, its calls
// reducer calls.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>
#include <fstream>

#include "storage/crc32c.h"
#include "storage/snapshot.h"
#include "support/temp_dir.h"

namespace interstice::storage {
namespace {

using base::Env;

// The fourth format's contents (snapshot.cc keeps its own copy to read them).
struct FourthSnapshot {
  uint64_t offset = 0;
  std::vector<std::string> initialized;
  std::vector<TableImage> tables;
  std::vector<RemoteCallRecordV1> pending_calls;
  std::vector<PeerCallRecord> peer_calls;
  std::vector<RemotePositionRecord> remote_positions;
  INTERSTICE_TYPE(FourthSnapshot, offset, initialized, tables, pending_calls, peer_calls,
                  remote_positions)
};

TEST(SnapshotFormats, APendingQueryKeepsItsDeadline) {
  testing::TempDir dir;
  SnapshotData data;
  data.offset = 5;
  data.pending_calls.push_back(RemoteCallRecord{
      7, "Board", "127.0.0.1:1", "board", "texts", {}, "reader", "answered", true, 987654});
  ASSERT_TRUE(write_snapshot(Env::posix(), dir.path(), data));
  auto read = read_snapshot_at(Env::posix(), dir.path(), 5);
  ASSERT_TRUE(read && *read);
  ASSERT_EQ((*read)->pending_calls.size(), 1u);
  EXPECT_TRUE((*read)->pending_calls[0].query);
  EXPECT_EQ((*read)->pending_calls[0].deadline_us, 987654);
}

TEST(SnapshotFormats, TheFourthFormatStillReads) {
  testing::TempDir dir;
  FourthSnapshot old;
  old.offset = 9;
  old.initialized = {"caller"};
  old.pending_calls.push_back(
      RemoteCallRecordV1{3, "MyNode", "127.0.0.1:1", "hello", "hello", {}, "caller", "done"});
  old.peer_calls.push_back(PeerCallRecord{"peer", 11});
  std::vector<uint8_t> raw = abi::to_bytes(old);
  std::vector<uint8_t> body(ZSTD_compressBound(raw.size()));
  body.resize(ZSTD_compress(body.data(), body.size(), raw.data(), raw.size(), 3));
  // magic, u64 offset, u32 crc32c of the offset and the body, the body.
  std::vector<uint8_t> file = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '4'};
  uint8_t offset[8];
  std::memcpy(offset, &old.offset, 8);
  file.insert(file.end(), offset, offset + 8);
  uint32_t crc = crc32c_extend(crc32c(offset, 8), body.data(), body.size());
  uint8_t crc_bytes[4];
  std::memcpy(crc_bytes, &crc, 4);
  file.insert(file.end(), crc_bytes, crc_bytes + 4);
  file.insert(file.end(), body.begin(), body.end());
  std::ofstream(dir.path() / "00000000000000000009.snapshot", std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));

  auto read = read_snapshot_at(Env::posix(), dir.path(), 9);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(*read);
  const SnapshotData& data = **read;
  EXPECT_EQ(data.initialized, std::vector<std::string>{"caller"});
  ASSERT_EQ(data.pending_calls.size(), 1u);
  EXPECT_EQ(data.pending_calls[0].call_id, 3u);
  EXPECT_EQ(data.pending_calls[0].callback, "done");
  EXPECT_FALSE(data.pending_calls[0].query);
  ASSERT_EQ(data.peer_calls.size(), 1u);
  EXPECT_EQ(data.peer_calls[0].call_id, 11u);
}

}  // namespace
}  // namespace interstice::storage
