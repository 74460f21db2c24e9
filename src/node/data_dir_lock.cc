#include "node/data_dir_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace interstice::node {

base::Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir,
                                               const std::string& holder) {
  std::filesystem::path path = data_dir / "LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return base::make_error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    char text[128] = {};
    ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK)
      return base::make_error(
          fmt::format("cannot lock {}: {}", path.string(), std::strerror(error)));
    std::string who(text, n > 0 ? static_cast<size_t>(n) : 0);
    while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
    size_t space = who.find(' ');
    std::string pid = who.substr(0, space);
    std::string what = space == std::string::npos ? "a process" : who.substr(space + 1);
    return base::make_error(fmt::format(
        "the data directory {} is in use by another process ({}, pid {}): only one node (or "
        "log repair) may use it at a time; stop that one first",
        data_dir.string(), what, pid.empty() ? "unknown" : pid));
  }
  std::string line = fmt::format("{} {}\n", ::getpid(), holder);
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    // The lock holds without the note; only the next one's message suffers.
  }
  DataDirLock lock;
  lock.fd_ = fd;
  return lock;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace interstice::node
