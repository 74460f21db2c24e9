#include "net/secret_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace interstice::net {

base::Result<void> write_secret_file(const std::filesystem::path& path,
                                     std::span<const uint8_t> data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  auto fail = [&](const std::string& what) {
    return base::make_error(
        fmt::format("cannot {} {}: {}", what, tmp.string(), std::strerror(errno)));
  };
  ::unlink(tmp.c_str());  // a leftover of an interrupted write
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("create");
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail("sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail("rename");
  }
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

std::string exposure_warning(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return "";
  bool directory = S_ISDIR(st.st_mode);
  return fmt::format("{} is accessible to other users (mode {:04o}): {}; fix it with `chmod {} {}`",
                     path.string(), st.st_mode & 07777,
                     directory ? "the node's keys and data should be readable by its user only"
                               : "anyone who can read it can act as this node",
                     directory ? "700" : "600", path.string());
}

}  // namespace interstice::net
