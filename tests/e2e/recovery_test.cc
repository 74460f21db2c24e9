// Recovery edge cases on real node processes: a log that lost its tail
// before the snapshot's offset, and log writes that fail on a full disk (a
// small tmpfs under the log; skipped where mounting is not permitted).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/mount.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;

// The rows of testkit's items, as the query command prints them.
std::string items(const NodeProcess& node) {
  return interstice::testing::run_command(std::string(INTERSTICE_CLI) + " query " + node.address() +
                                          " testkit items")
      .output;
}

int add(const NodeProcess& node, const std::string& name) {
  httplib::Client client("127.0.0.1", node.port());
  auto res = client.Post("/call/testkit/add", "[\"" + name + "\", 0]", "application/json");
  return res ? res->status : -1;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::filesystem::path last_segment(const std::filesystem::path& log_dir) {
  std::filesystem::path last;
  for (const auto& e : std::filesystem::directory_iterator(log_dir))
    if (e.path().extension() == ".log" && e.path() > last) last = e.path();
  return last;
}

TEST(Recovery, ACutTailBeforeTheSnapshotStartsFromTheSnapshotAndTheLogGoesOn) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  for (const char* name : {"a", "b", "c", "d"}) ASSERT_EQ(add(node, name), 200);
  ASSERT_EQ(node.stop(), 0);  // a clean stop snapshots the last transaction
  std::filesystem::path segment = last_segment(node.data_dir() / "log");
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 5);
  auto repair = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " log repair " +
                                                 node.data_dir().string() + " --yes");
  EXPECT_NE(repair.output.find("the next start continues the log after the snapshot"),
            std::string::npos)
      << repair.output;

  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_NE(node.output().find("before the snapshot at"), std::string::npos) << node.output();
  for (const char* name : {"a", "b", "c", "d"})
    EXPECT_NE(items(node).find("\"name\":\"" + std::string(name) + "\""), std::string::npos);
  ASSERT_EQ(add(node, "e"), 200);
  // Killed: the next start re-applies the log after the snapshot, where "e"
  // must be found at the offset it was written under.
  node.kill_hard();
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_NE(node.output().find("recovered"), std::string::npos) << node.output();
  std::string rows = items(node);
  EXPECT_EQ(count(rows, "\n"), 5u) << rows;
  EXPECT_NE(rows.find("\"name\":\"e\""), std::string::npos) << rows;
  ASSERT_EQ(add(node, "f"), 200);
  ASSERT_EQ(node.stop(), 0);
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_EQ(count(items(node), "\n"), 6u);
  ASSERT_EQ(node.stop(), 0);
  auto damage = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " log repair " +
                                                 node.data_dir().string() + " --yes");
  EXPECT_NE(damage.output.find("intact"), std::string::npos) << damage.output;
}

// A small tmpfs mounted on DATA_DIR/log, filled up on demand.
class FullDisk {
 public:
  explicit FullDisk(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=512k") == 0;
  }
  ~FullDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Takes every free byte with a filler file.
  void fill() {
    std::ofstream out(dir_ / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (out.write(block.data(), block.size())) out.flush();
  }
  void free() { std::filesystem::remove(dir_ / "filler"); }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

class FullDiskRecovery : public ::testing::TestWithParam<const char*> {};

TEST_P(FullDiskRecovery, FailedWritesAreUndoneAndTheNodeGoesOnOnceThereIsRoom) {
  std::unique_ptr<FullDisk> disk;
  NodeProcess node(
      [&](const std::filesystem::path& dir) {
        std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/testkit.wasm",
                                   dir / "modules" / "testkit.wasm");
        disk = std::make_unique<FullDisk>(dir / "log");
      },
      // A little preallocation: the disk fills up after a few records.
      {"--durability", GetParam(), "--log-preallocate", "4"});
  struct Unmount {  // stops the node before the tmpfs goes
    NodeProcess& node;
    std::unique_ptr<FullDisk>& disk;
    ~Unmount() {
      node.stop();
      disk.reset();
    }
  } unmount{node, disk};
  if (!disk->mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_EQ(add(node, "before"), 200);
  disk->fill();
  // The segment's last page may still take a few records; then every write
  // fails, many in a row.
  std::vector<std::string> kept, lost;
  for (int i = 0; i < 500 && lost.size() < 8; ++i) {
    std::string name = "row" + std::to_string(i);
    if (add(node, name) == 200) {
      ASSERT_TRUE(lost.empty()) << name << " was written after a failure on a full disk";
      kept.push_back(name);
    } else {
      lost.push_back(name);
    }
  }
  ASSERT_EQ(lost.size(), 8u);
  // Nothing the log could not record is visible.
  std::string rows = items(node);
  for (const std::string& name : lost)
    EXPECT_EQ(rows.find("\"name\":\"" + name + "\""), std::string::npos) << rows;
  for (const std::string& name : kept)
    EXPECT_NE(rows.find("\"name\":\"" + name + "\""), std::string::npos) << rows;
  EXPECT_NE(rows.find("\"name\":\"before\""), std::string::npos) << rows;
  disk->free();
  // The node may need a moment to go on after the last failure.
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    status = add(node, "after");
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status, 200) << node.output();
  ASSERT_EQ(add(node, "later"), 200);
  rows = items(node);
  for (const std::string& name : lost)
    EXPECT_EQ(rows.find("\"name\":\"" + name + "\""), std::string::npos) << rows;
  EXPECT_EQ(count(rows, "\n"), 3u + kept.size()) << rows;
  // The undone inserts gave back their auto_inc ids, as a rollback does.
  EXPECT_NE(rows.find("\"id\":" + std::to_string(kept.size() + 2) + ",\"name\":\"after\""),
            std::string::npos)
      << rows;
  // The log holds exactly what the tables do: a restart after kill -9 (no
  // snapshot) comes back with the same rows.
  node.kill_hard();
  node.restart({"--durability", GetParam(), "--log-preallocate", "4"});
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_EQ(items(node), rows);
  ASSERT_EQ(add(node, "restarted"), 200);
}

INSTANTIATE_TEST_SUITE_P(Durability, FullDiskRecovery, ::testing::Values("group", "sync"));

}  // namespace
