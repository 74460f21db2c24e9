// The node's clock is injected through NodeOptions::clock: each transaction
// is stamped with it, and that stamp is what a reducer sees as its time.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "node/json_api.h"
#include "node/node.h"
#include "node/testkit_node.h"
#include "support/temp_dir.h"

namespace interstice::node {
namespace {

class SteppingClock final : public base::Clock {
 public:
  int64_t now_micros() override { return next_ += 1000; }  // 1 ms a reading

 private:
  std::atomic<int64_t> next_{1'700'000'000'000'000};
};

TEST(NodeClock, TransactionsAreStampedWithTheInjectedClock) {
  interstice::testing::TempDir dir;
  SteppingClock clock;
  NodeOptions options =
      testing::testkit_node_options(dir.path(), base::Env::posix(), storage::Durability::Sync);
  options.clock = &clock;
  std::mutex lines_mutex;
  std::vector<std::string> lines;  // guarded by lines_mutex
  options.runtime.log_sink = [&](const runtime::LogRecord& r) {
    std::lock_guard lock(lines_mutex);
    if (r.message.starts_with("timestamp ")) lines.push_back(r.message);
  };
  auto node = Node::create(options);
  ASSERT_TRUE(node.ok()) << node.error().message;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(call_json(**node, "testkit", "observe", nlohmann::ordered_json::array()).ok());
  std::lock_guard lock(lines_mutex);
  ASSERT_EQ(lines.size(), 3u);
  std::vector<int64_t> stamps;
  for (const std::string& line : lines)
    stamps.push_back(std::stoll(line.substr(std::string("timestamp ").size())));
  for (int64_t stamp : stamps) EXPECT_GT(stamp, 1'700'000'000'000'000);
  EXPECT_LT(stamps[0], stamps[1]);
  EXPECT_LT(stamps[1], stamps[2]);
  EXPECT_LT(stamps[2], 1'700'000'000'000'000 + 1'000'000);  // a second of readings at most
}

}  // namespace
}  // namespace interstice::node
