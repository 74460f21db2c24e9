// The File authority's quota (authority/file_sandbox.h): kept exactly
// through overwrites and deletes, checked before anything is created, and
// never skipped when descriptors run out.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "authority/file_sandbox.h"
#include "support/temp_dir.h"

namespace {

using interstice::authority::FileSandbox;
using interstice::runtime::AuthorityError;
using interstice::testing::TempDir;
using Status = interstice::abi::Status;

std::vector<uint8_t> bytes(size_t n) {
  return std::vector<uint8_t>(n, 'q');
}

// What a fresh sandbox measures by walking the directory.
FileSandbox::Usage measured(const std::filesystem::path& root) {
  FileSandbox fresh(root);
  FileSandbox::Usage usage;
  AuthorityError error;
  EXPECT_TRUE(fresh.usage("m", &usage, &error)) << error.message;
  return usage;
}

void expect_exact(FileSandbox& sandbox, const std::filesystem::path& root, const char* step) {
  FileSandbox::Usage kept, walked = measured(root);
  AuthorityError error;
  ASSERT_TRUE(sandbox.usage("m", &kept, &error)) << error.message;
  EXPECT_EQ(kept.bytes, walked.bytes) << step;
  EXPECT_EQ(kept.entries, walked.entries) << step;
}

TEST(FileQuota, UsageStaysExactThroughOverwritesAndDeletes) {
  TempDir root;
  FileSandbox sandbox(root.path(), 1 << 20);
  AuthorityError error;
  ASSERT_TRUE(sandbox.write("m", "a/b/one", bytes(100), &error)) << error.message;
  expect_exact(sandbox, root.path(), "write");
  ASSERT_TRUE(sandbox.write("m", "a/b/one", bytes(40), &error));  // shrinks it
  expect_exact(sandbox, root.path(), "overwrite smaller");
  ASSERT_TRUE(sandbox.write("m", "a/b/one", bytes(4000), &error));
  expect_exact(sandbox, root.path(), "overwrite larger");
  ASSERT_TRUE(sandbox.write("m", "a/c/d/two", bytes(300), &error));
  ASSERT_TRUE(sandbox.write("m", "three", bytes(0), &error));
  expect_exact(sandbox, root.path(), "more");
  ASSERT_TRUE(sandbox.remove("m", "a/b/one", &error));
  expect_exact(sandbox, root.path(), "delete");
  ASSERT_TRUE(sandbox.remove("m", "a/b", &error));  // an empty directory
  expect_exact(sandbox, root.path(), "delete a directory");
  EXPECT_FALSE(sandbox.remove("m", "a/b/one", &error));        // gone: nothing changes
  EXPECT_FALSE(sandbox.write("m", "a/c", bytes(10), &error));  // a directory is in the way
  expect_exact(sandbox, root.path(), "failures");
  FileSandbox::Usage usage;
  ASSERT_TRUE(sandbox.usage("m", &usage, &error));
  EXPECT_EQ(usage.bytes, 300u);
}

TEST(FileQuota, OverwritesCountOnceAndDeletesGiveRoomBack) {
  TempDir root;
  FileSandbox sandbox(root.path(), 1000);
  AuthorityError error;
  ASSERT_TRUE(sandbox.write("m", "f", bytes(600), &error));
  ASSERT_TRUE(sandbox.write("m", "f", bytes(600), &error));  // replaces: still 600
  ASSERT_TRUE(sandbox.write("m", "g", bytes(400), &error));  // exactly the quota
  EXPECT_FALSE(sandbox.write("m", "h", bytes(1), &error));
  EXPECT_EQ(error.status, Status::QuotaExceeded);
  ASSERT_TRUE(sandbox.remove("m", "f", &error));
  EXPECT_TRUE(sandbox.write("m", "h", bytes(600), &error)) << error.message;
}

TEST(FileQuota, ARefusedWriteCreatesNoDirectory) {
  TempDir root;
  FileSandbox sandbox(root.path(), 100);
  AuthorityError error;
  EXPECT_FALSE(sandbox.write("m", "x/y/z/big", bytes(200), &error));
  EXPECT_EQ(error.status, Status::QuotaExceeded);
  EXPECT_FALSE(std::filesystem::exists(root.path() / "m" / "x"));
  ASSERT_TRUE(sandbox.write("m", "x/small", bytes(50), &error)) << error.message;
  EXPECT_FALSE(sandbox.write("m", "x/p/q/big", bytes(60), &error));
  EXPECT_FALSE(std::filesystem::exists(root.path() / "m" / "x" / "p"));
}

TEST(FileQuota, TheFirstWriteCreatesTheRootAndTheModuleDirectory) {
  TempDir root;
  FileSandbox sandbox(root.path() / "not" / "yet", 100);
  AuthorityError error;
  EXPECT_FALSE(sandbox.write("m", "big", bytes(200), &error));
  EXPECT_FALSE(std::filesystem::exists(root.path() / "not" / "yet" / "m"));
  ASSERT_TRUE(sandbox.write("m", "a/small", bytes(50), &error)) << error.message;
  EXPECT_EQ(std::filesystem::file_size(root.path() / "not" / "yet" / "m" / "a" / "small"), 50u);
}

// Fills the descriptor table, leaving `free` descriptors (in a child only).
void leave_free_descriptors(int free) {
  rlimit limit{64, 64};
  ::setrlimit(RLIMIT_NOFILE, &limit);
  std::vector<int> held;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) held.push_back(fd);
  for (int i = 0; i < free && !held.empty(); ++i) {
    ::close(held.back());
    held.pop_back();
  }
}

// Runs `body` in a child process; its exit code.
template <typename Body>
int in_child(Body body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(FileQuota, HoldsAtTheDescriptorLimit) {
  TempDir root;
  std::string deep;
  for (int i = 0; i < 30; ++i) deep += "d" + std::to_string(i) + "/";
  {
    FileSandbox setup(root.path(), 10'000);
    AuthorityError error;
    ASSERT_TRUE(setup.write("m", deep + "big", bytes(9'000), &error)) << error.message;
  }
  // With a few descriptors left, a write past the quota is refused, whether
  // the usage was measured before (kept) or must be measured now (fails).
  for (bool measured_first : {true, false}) {
    int code = in_child([&] {
      FileSandbox sandbox(root.path(), 10'000);
      AuthorityError error;
      if (measured_first && !sandbox.write("m", "warm", bytes(1), &error)) return 3;
      leave_free_descriptors(4);
      bool written = sandbox.write("m", "over", bytes(2'000), &error);
      if (written || std::filesystem::exists(root.path() / "m" / "over")) return 1;
      return 0;
    });
    EXPECT_EQ(code, 0) << (measured_first ? "measured first" : "measured at the limit");
  }
}

// Not a timed assertion: prints how long 100 writes take in a tree of 5,000
// files (made beforehand, so the first write measures it), and checks that
// the usage is still exact afterwards.
TEST(FileQuota, ManyWritesInADeepTreeKeepTheUsageExact) {
  TempDir root;
  for (int i = 0; i < 2'000; ++i) {
    std::filesystem::path dir = root.path() / "m";
    for (int level = 0; level < 8; ++level) dir /= "d" + std::to_string((i >> level) % 3);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / ("f" + std::to_string(i))) << std::string(i % 100, 'q');
  }
  FileSandbox sandbox(root.path(), 1ull << 30);
  AuthorityError error;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(sandbox.write("m", "d0/d1/d2/w" + std::to_string(i), bytes(i), &error))
        << error.message;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "100 writes in a tree of 2,000 files: " << ms << " ms\n";
  expect_exact(sandbox, root.path(), "after many writes");
}

}  // namespace
