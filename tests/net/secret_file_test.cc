// Key files are never readable by others, not even for a moment: the file
// that is renamed into place must already be 0600. This binary interposes
// rename(2) to look at the file at the instant it is published (the old code
// wrote a 0644 file, renamed it, then chmod'ed it: this test fails on it).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "net/identity.h"
#include "net/secret_file.h"
#include "node/operator_key.h"
#include "support/temp_dir.h"

namespace {

struct ObservedRename {
  std::string to;
  mode_t mode_of_source = 0;  // permission bits of the file being renamed
};

std::mutex g_renames_mutex;
std::vector<ObservedRename> g_renames;  // guarded by g_renames_mutex

}  // namespace

// Interposes libc's rename (used directly and by std::filesystem::rename):
// records the source's mode, then renames through the system call.
extern "C" int rename(const char* from, const char* to) {
  struct stat st{};
  if (::stat(from, &st) == 0) {
    std::lock_guard lock(g_renames_mutex);
    g_renames.push_back({to, static_cast<mode_t>(st.st_mode & 07777)});
  }
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0));
}

namespace interstice::net {
namespace {

using interstice::testing::TempDir;

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    old_umask_ = ::umask(022);  // the usual umask: plain files come out 0644
    std::lock_guard lock(g_renames_mutex);
    g_renames.clear();
  }
  void TearDown() override { ::umask(old_umask_); }

  // The renames into `name` seen so far; each must have published a 0600 file.
  std::vector<ObservedRename> renames_to(const std::string& name) {
    std::lock_guard lock(g_renames_mutex);
    std::vector<ObservedRename> found;
    for (const auto& r : g_renames)
      if (std::filesystem::path(r.to).filename() == name) found.push_back(r);
    return found;
  }

  static mode_t mode_of(const std::filesystem::path& path) {
    struct stat st{};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

 private:
  mode_t old_umask_ = 0;
};

TEST_F(SecretFiles, TheIdentityKeyIsPrivateWhenItAppears) {
  TempDir dir;
  ASSERT_TRUE(load_or_create_identity(interstice::base::Env::posix(), dir.path()));
  auto renames = renames_to("identity.key");
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(renames[0].mode_of_source, 0600u);
  EXPECT_EQ(mode_of(dir.path() / "identity.key"), 0600u);
}

TEST_F(SecretFiles, TheOperatorKeyIsPrivateWhenItAppears) {
  TempDir dir;
  ASSERT_TRUE(node::load_or_create_operator_key(interstice::base::Env::posix(), dir.path()));
  auto renames = renames_to("operator.key");
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(renames[0].mode_of_source, 0600u);
  EXPECT_EQ(mode_of(dir.path() / "operator.key"), 0600u);
}

TEST_F(SecretFiles, ALeftoverTemporaryFileOrLinkIsNotReused) {
  TempDir dir;
  // Someone planted a world-readable temporary file and a link where the
  // key's temporary file goes; neither may end up holding the secret.
  auto target = dir.path() / "secret.key";
  auto planted = dir.path() / "planted";
  {
    int fd = ::open(planted.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  ::chmod(planted.c_str(), 0644);
  std::filesystem::create_symlink(planted, dir.path() / "secret.key.tmp");
  std::vector<uint8_t> secret(64, 0x5a);
  ASSERT_TRUE(write_secret_file(target, secret));
  EXPECT_EQ(std::filesystem::file_size(planted), 0u);  // nothing written through the link
  EXPECT_EQ(mode_of(target), 0600u);
  EXPECT_FALSE(std::filesystem::is_symlink(target));
  auto renames = renames_to("secret.key");
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(renames[0].mode_of_source, 0600u);
}

TEST_F(SecretFiles, ExposedFilesAndDirectoriesAreReported) {
  TempDir dir;
  auto key = dir.path() / "identity.key";
  ASSERT_TRUE(load_or_create_identity(interstice::base::Env::posix(), dir.path()));
  EXPECT_EQ(exposure_warning(key), "");
  ::chmod(key.c_str(), 0644);
  EXPECT_NE(exposure_warning(key).find("chmod 600"), std::string::npos);
  ::chmod(dir.path().c_str(), 0755);
  EXPECT_NE(exposure_warning(dir.path()).find("chmod 700"), std::string::npos);
}

}  // namespace
}  // namespace interstice::net
