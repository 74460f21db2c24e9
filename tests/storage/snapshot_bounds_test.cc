// Bounds on reading the data directory: a damaged snapshot cannot make the
// node allocate what it claims (the zstd frame's declared size is a claim,
// checked against what really decompresses, and memory grows only with the
// real data), and stray files in the log directory are not parsed as
// segment numbers.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <fstream>

#include "storage/crc32c.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"
#include "support/temp_dir.h"

namespace interstice::storage {
namespace {

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(SnapshotBounds, ADeclaredSizeOf1GiBAllocatesNothingLikeIt) {
  testing::TempDir dir;
  SnapshotData data;
  data.offset = 3;
  data.tables.push_back(TableImage{"m", "t", 1, {abi::Bytes{std::vector<uint8_t>(100'000, 7)}}});
  ASSERT_TRUE(write_snapshot(Env::posix(), dir.path(), data));
  std::filesystem::path path = dir.path() / "00000000000000000003.snapshot";
  auto file = std::move(Env::posix().read_file(path)).value();
  // The zstd frame header after the 20-byte snapshot header: magic, then the
  // descriptor; content sizes of 65,792 bytes up to 4 GiB take 4 bytes.
  uint8_t descriptor = file[20 + 4];
  ASSERT_EQ(descriptor >> 6, 2) << "expected a 4-byte content size field";
  ASSERT_EQ(descriptor & 3, 0) << "expected no dictionary id";
  size_t size_at = 20 + 5 + ((descriptor & 0x20) ? 0 : 1);  // a window byte unless single segment
  uint32_t claimed = 1u << 30;
  std::memcpy(file.data() + size_at, &claimed, 4);
  uint32_t crc = crc32c_extend(crc32c(file.data() + 8, 8), file.data() + 20, file.size() - 20);
  std::memcpy(file.data() + 16, &crc, 4);
  ASSERT_TRUE(Env::posix().write_atomically(path, file));

  long before = peak_rss_kib();
  std::vector<std::string> warnings;
  auto read = read_newest_snapshot(Env::posix(), dir.path(), &warnings);
  ASSERT_TRUE(read);
  EXPECT_FALSE(*read) << "a snapshot that decompresses to less than it claims is damaged";
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("is damaged"), std::string::npos) << warnings[0];
  EXPECT_LT(peak_rss_kib() - before, 128 << 10) << "KiB of peak memory for a 1 GiB claim";
}

TEST(LogBounds, StrayFilesNamedLikeSegmentsAreNotParsedAsNumbers) {
  testing::TempDir dir;
  Env& env = Env::posix();
  std::filesystem::path log_dir = dir.path() / "log", snapshots = dir.path() / "snapshots";
  ASSERT_TRUE(env.create_dirs(snapshots));
  std::vector<std::string> warnings;
  {
    auto log = TransactionLog::open(env, log_dir, LogOptions{}, &warnings);
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->append(std::vector<uint8_t>{1, 2, 3}));
    ASSERT_TRUE((*log)->sync());
  }
  // 20 digits beyond 2^64, and 20 letters: neither names a segment.
  for (const char* stray : {"99999999999999999999.log", "abcdefghijklmnopqrst.log"})
    std::ofstream(log_dir / stray).close();
  EXPECT_TRUE(apply_retention(env, log_dir, snapshots, 1, Retention::Prune));
  EXPECT_EQ(segment_first_offset("99999999999999999999.log"), std::nullopt);
  EXPECT_EQ(segment_first_offset("abcdefghijklmnopqrst.log"), std::nullopt);
  EXPECT_EQ(segment_first_offset("00000000000000000042.log"), 42u);
  LogOptions options;
  options.tags = [](std::span<const uint8_t>) { return std::vector<std::string>{"t"}; };
  auto reopened = TransactionLog::open(env, log_dir, options, &warnings);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->last_offset(), 1u);
}

}  // namespace
}  // namespace interstice::storage
