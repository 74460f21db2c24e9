#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/env.h"

namespace interstice::base {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return make_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::filesystem::path path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size), allocated_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Result<void> append(std::span<const uint8_t> data) override {
    const uint8_t* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot write", path_);
      }
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    allocated_ = std::max(allocated_, size_);
    return {};
  }
  Result<void> preallocate(uint64_t end) override {
    static const std::vector<uint8_t> zeros(1 << 16, 0);
    while (allocated_ < end) {
      size_t chunk = static_cast<size_t>(std::min<uint64_t>(zeros.size(), end - allocated_));
      ssize_t n = ::pwrite(fd_, zeros.data(), chunk, static_cast<off_t>(allocated_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot preallocate", path_);
      }
      allocated_ += static_cast<uint64_t>(n);
    }
    return {};
  }
  Result<void> sync() override {
    if (::fdatasync(fd_) != 0) return io_error("cannot sync", path_);
    return {};
  }
  Result<void> close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return io_error("cannot close", path_);
    return {};
  }
  uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::filesystem::path path_;
  uint64_t size_;       // where the next append writes
  uint64_t allocated_;  // the file's size on disk: >= size_ (preallocate's zeros)
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> open_appendable(
      const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot open", path);
    off_t size = ::lseek(fd, 0, SEEK_END);
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(fd, path, static_cast<uint64_t>(size)));
  }
  Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open", path);
    std::vector<uint8_t> data;
    uint8_t buffer[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        return io_error("cannot read", path);
      }
      if (n == 0) break;
      data.insert(data.end(), buffer, buffer + n);
    }
    ::close(fd);
    return data;
  }
  Result<void> truncate(const std::filesystem::path& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
      return io_error("cannot truncate", path);
    return {};
  }
  Result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return io_error("cannot rename", from);
    return {};
  }
  Result<void> remove(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", path);
    return {};
  }
  Result<void> create_dirs(const std::filesystem::path& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return make_error(fmt::format("cannot create {}: {}", path.string(), ec.message()));
    return {};
  }
  Result<void> sync_dir(const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open directory", path);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return io_error("cannot sync directory", path);
    return {};
  }
  Result<std::vector<std::string>> list(const std::filesystem::path& dir) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      names.push_back(entry.path().filename().string());
    if (ec) return make_error(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
    std::sort(names.begin(), names.end());
    return names;
  }
  bool exists(const std::filesystem::path& path) override {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
  }
};

}  // namespace

Env& Env::posix() {
  static PosixEnv env;
  return env;
}

Result<void> Env::write_atomically(const std::filesystem::path& path,
                                   std::span<const uint8_t> data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  (void)remove(tmp);
  auto file = open_appendable(tmp);
  if (!file) return file.take_error();
  if (auto r = (*file)->append(data); !r) return r;
  if (auto r = (*file)->sync(); !r) return r;
  if (auto r = (*file)->close(); !r) return r;
  if (auto r = rename(tmp, path); !r) return r;
  return sync_dir(path.parent_path());
}

}  // namespace interstice::base
