// The log after a failed write or fsync, and a log continued past a
// snapshot: a failure never leaves a partial record behind, the log goes on
// once the fault is gone (however many failures came first), and offsets
// never go back or collide.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "storage/fault_injection_env.h"
#include "storage/log_test_support.h"
#include "storage/transaction_log.h"
#include "support/temp_dir.h"

namespace interstice::storage {
namespace {

using interstice::testing::TempDir;

std::vector<uint8_t> payload(uint64_t i) {
  return testing::log_payload(i, 20);
}
using testing::open_log;

// The offsets in the log from `from`, checking each payload.
std::vector<uint64_t> offsets(const std::filesystem::path& dir, uint64_t from = 1) {
  std::vector<uint64_t> seen;
  auto r = TransactionLog::read(Env::posix(), dir, from, [&](uint64_t offset, auto p) {
    std::vector<uint8_t> expected = payload(offset);
    EXPECT_TRUE(std::equal(p.begin(), p.end(), expected.begin(), expected.end())) << offset;
    seen.push_back(offset);
    return true;
  });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return seen;
}

size_t segment_count(const std::filesystem::path& dir) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    count += entry.path().extension() == ".log";
  return count;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

// Sync and Group both write and fsync on the log's writer thread.
class WriterLogFailure : public ::testing::TestWithParam<Durability> {};

TEST_P(WriterLogFailure, RefusesAppendsUntilResetThenGoesOnAfterTheLastGoodRecord) {
  TempDir dir;
  testing::FaultInjectionEnv env;
  std::atomic<int> failures{0};
  {
    auto log =
        open_log(env, dir.path(), {.durability = GetParam(), .on_failure = [&] { ++failures; }});
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_EQ(*log->append(payload(i)), i);
    ASSERT_TRUE(log->wait_durable(5).ok());
    env.fail_writes(true);
    for (int round = 1; round <= 5; ++round) {
      auto six = log->append(payload(6));
      ASSERT_TRUE(six.ok());  // buffered: the failure comes with the flush
      EXPECT_EQ(*six, 6u);
      // The group thread may have flushed six, and failed, already: then
      // seven is refused.
      auto seven = log->append(payload(7));
      if (seven.ok())
        EXPECT_EQ(*seven, 7u);
      else
        EXPECT_TRUE(log->failed());
      EXPECT_FALSE(log->wait_durable(6).ok());
      EXPECT_TRUE(log->wait_durable(5).ok());  // what was durable stays so
      EXPECT_TRUE(log->failed());
      // on_failure comes from the writer thread, just after the waiters wake.
      for (int i = 0; i < 1000 && failures.load() < round; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      EXPECT_EQ(failures.load(), round);
      EXPECT_FALSE(log->append(payload(8)).ok());  // refused until reset
      EXPECT_EQ(log->good_offset(), 5u);
      auto reset = log->reset_after_failure();
      ASSERT_TRUE(reset.ok()) << reset.error().message;
      EXPECT_EQ(*reset, 5u);
      EXPECT_FALSE(log->failed());
      EXPECT_EQ(log->last_offset(), 5u);
    }
    env.fail_writes(false);
    for (uint64_t i = 6; i <= 10; ++i) {
      ASSERT_EQ(*log->append(payload(i)), i);
      ASSERT_TRUE(log->wait_durable(i).ok());
    }
  }
  std::vector<std::string> warnings;
  auto log = open_log(Env::posix(), dir.path(), {.durability = GetParam()}, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_EQ(offsets(dir.path()), range(1, 10));
}

INSTANTIATE_TEST_SUITE_P(Durabilities, WriterLogFailure,
                         ::testing::Values(Durability::Sync, Durability::Group));

TEST(LogFailure, NoneRefusesAppendsAfterAFailedBatchUntilReset) {
  TempDir dir;
  testing::FaultInjectionEnv env;
  std::atomic<int> failures{0};
  std::vector<uint8_t> large(700 << 10, 'x');  // two fill a 1 MiB batch
  {
    auto log = open_log(env, dir.path(),
                        {.durability = Durability::None, .on_failure = [&] { ++failures; }});
    ASSERT_TRUE(log->append(large).ok());
    ASSERT_TRUE(log->append(large).ok());  // written: the good end
    EXPECT_EQ(log->good_offset(), 2u);
    env.fail_writes(true);
    ASSERT_TRUE(log->append(large).ok());
    EXPECT_FALSE(log->append(large).ok());  // its batch failed half-written
    EXPECT_TRUE(log->failed());
    EXPECT_EQ(failures.load(), 1);
    EXPECT_FALSE(log->append(large).ok());
    env.fail_writes(false);
    auto reset = log->reset_after_failure();
    ASSERT_TRUE(reset.ok()) << reset.error().message;
    EXPECT_EQ(*reset, 2u);
    EXPECT_EQ(*log->append(large), 3u);
    ASSERT_TRUE(log->sync().ok());
  }
  std::vector<std::string> warnings;
  auto log = open_log(Env::posix(), dir.path(), {.durability = Durability::None}, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_EQ(log->last_offset(), 3u);
}

TEST(LogFailure, AFailedSegmentRolloverLeavesNoHalfMadeSegment) {
  TempDir dir;
  testing::FaultInjectionEnv env;
  {
    // Records 1-3 take 130 bytes with the segment header: the batch that
    // writes 3 takes the segment past 100 bytes, so the log's writer then
    // starts the next segment (at 4).
    auto log = open_log(env, dir.path(), {.durability = Durability::Sync, .segment_bytes = 100});
    for (uint64_t i = 1; i <= 2; ++i) ASSERT_EQ(*log->append(payload(i)), i);
    ASSERT_TRUE(log->wait_durable(2).ok());
    env.fail_new_files(true);
    ASSERT_EQ(*log->append(payload(3)), 3u);
    EXPECT_FALSE(log->wait_durable(3).ok());  // written, but the rollover failed
    EXPECT_TRUE(log->failed());
    for (int attempt = 0; attempt < 5; ++attempt) EXPECT_FALSE(log->append(payload(4)).ok());
    env.fail_new_files(false);
    auto reset = log->reset_after_failure();
    ASSERT_TRUE(reset.ok()) << reset.error().message;
    EXPECT_EQ(*reset, 2u);  // 3 was never acknowledged: the owner undoes it
    for (uint64_t i = 3; i <= 20; ++i) ASSERT_EQ(*log->append(payload(i)), i);
    ASSERT_TRUE(log->wait_durable(20).ok());
  }
  EXPECT_GT(segment_count(dir.path()), 1u);
  auto log = open_log(Env::posix(), dir.path(), {.durability = Durability::Sync});
  EXPECT_EQ(offsets(dir.path()), range(1, 20));
}

TEST(LogFailure, ContinueAtSkipsWhatASnapshotHoldsAndOffsetsNeverGoBack) {
  TempDir dir;
  {
    auto log = open_log(Env::posix(), dir.path(), {.durability = Durability::Sync});
    for (uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(log->append(payload(i)).ok());
  }
  std::filesystem::path segment = dir.path() / "00000000000000000001.log";
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 5);
  {
    std::vector<std::string> warnings;
    auto log = open_log(Env::posix(), dir.path(), {.durability = Durability::Sync}, &warnings);
    ASSERT_EQ(warnings.size(), 1u);  // the cut record is a torn tail
    EXPECT_EQ(log->last_offset(), 9u);
    EXPECT_FALSE(log->continue_at(9).ok());  // never backwards
    ASSERT_TRUE(log->continue_at(11).ok());  // a snapshot at 10 holds 10
    EXPECT_EQ(*log->append(payload(11)), 11u);
    EXPECT_EQ(*log->append(payload(12)), 12u);
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "archive" / "00000000000000000001.log"));
  std::vector<std::string> warnings;
  auto log = open_log(Env::posix(), dir.path(), {.durability = Durability::Sync}, &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(log->last_offset(), 12u);
  auto damage = TransactionLog::check(Env::posix(), dir.path());
  ASSERT_TRUE(damage.ok());
  EXPECT_FALSE(damage->has_value());
  EXPECT_EQ(offsets(dir.path()), range(11, 12));
}

}  // namespace
}  // namespace interstice::storage
