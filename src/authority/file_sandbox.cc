#include "authority/file_sandbox.h"

#include "authority/file_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace interstice::authority {
namespace {

using abi::Status;
using runtime::AuthorityError;

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

bool fail(AuthorityError* error, Status status, std::string message) {
  *error = AuthorityError{status, std::move(message)};
  return false;
}

bool fail_errno(AuthorityError* error, std::string_view what, std::string_view path) {
  int e = errno;
  Status status = e == ENOENT                  ? Status::NotFound
                  : e == ELOOP || e == ENOTDIR ? Status::PathRefused
                                               : Status::IoError;
  std::string why = e == ELOOP ? "a symlink is in the way" : std::strerror(e);
  return fail(error, status, fmt::format("file {} '{}': {}", what, path, why));
}

// Splits a relative path into its components (file_path.h for what is
// refused); false with the reason as PathRefused.
bool split(std::string_view path, std::vector<std::string>* parts, AuthorityError* error) {
  std::string why = split_file_path(path, parts);
  return why.empty() || fail(error, Status::PathRefused, std::move(why));
}

}  // namespace

// Opens the module's directory, then walks `parts` (all but the last when
// `leave_last`), each beneath the previous with O_NOFOLLOW.
static bool open_beneath(const std::filesystem::path& root, std::string_view module,
                         const std::vector<std::string>& parts, bool leave_last, Fd* dir,
                         std::string_view path, AuthorityError* error) {
  if (module.empty() || module == "." || module == ".." ||
      module.find('/') != std::string_view::npos)
    return fail(error, Status::PathRefused, fmt::format("no file directory for '{}'", module));
  std::filesystem::path own = root / std::string(module);
  std::error_code ec;
  std::filesystem::create_directories(own, ec);
  ::chmod(own.c_str(), 0700);
  Fd current(::open(own.c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (current.get() < 0) return fail_errno(error, "directory", own.string());
  size_t walk = parts.size() - (leave_last && !parts.empty() ? 1 : 0);
  for (size_t i = 0; i < walk; ++i) {
    Fd next(::openat(current.get(), parts[i].c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return fail_errno(error, "path", path);
    current = std::move(next);
  }
  *dir = std::move(current);
  return true;
}

bool FileSandbox::read(std::string_view module, std::string_view path, runtime::Bytes* data,
                       AuthorityError* error) {
  std::vector<std::string> parts;
  if (!split(path, &parts, error)) return false;
  if (parts.empty()) return fail(error, Status::PathRefused, "file path is empty");
  Fd dir;
  if (!open_beneath(root_, module, parts, true, &dir, path, error)) return false;
  Fd file(::openat(dir.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (file.get() < 0) return fail_errno(error, "read", path);
  struct stat info;
  if (::fstat(file.get(), &info) != 0) return fail_errno(error, "read", path);
  if (!S_ISREG(info.st_mode))
    return fail(error, Status::PathRefused, fmt::format("file read '{}': not a file", path));
  if (static_cast<size_t>(info.st_size) > kMaxFile)
    return fail(error, Status::IoError, fmt::format("file read '{}': larger than 64 MiB", path));
  data->resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < data->size()) {
    ssize_t n = ::read(file.get(), data->data() + done, data->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(error, "read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data->resize(done);
  return true;
}

// Walks `dirs` beneath `from` without following symlinks or creating
// anything, as far as they exist: `dir` receives the deepest one that
// exists and `missing` how many are left to create (0: all exist).
static bool open_existing(Fd from, const std::vector<std::string>& dirs, Fd* dir, size_t* missing,
                          std::string_view path, AuthorityError* error) {
  *missing = 0;
  for (size_t i = 0; i < dirs.size(); ++i) {
    Fd next(::openat(from.get(), dirs[i].c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0 && errno == ENOENT) {
      *missing = dirs.size() - i;
      break;
    }
    if (next.get() < 0) return fail_errno(error, "path", path);
    from = std::move(next);
  }
  *dir = std::move(from);
  return true;
}

FileSandbox::Usage* FileSandbox::usage_locked(std::string_view module, AuthorityError* error) {
  if (auto it = usage_.find(module); it != usage_.end()) return &it->second;
  // One walk, which must see everything: any error (EMFILE included) fails
  // the measurement instead of leaving part of the directory uncounted.
  Usage measured;
  std::filesystem::path base = root_ / std::string(module);
  std::error_code ec;
  bool exists = std::filesystem::is_directory(std::filesystem::symlink_status(base, ec));
  if (ec && ec != std::errc::no_such_file_or_directory) exists = true;  // let the walk report it
  ec.clear();
  if (exists) {
    for (auto it = std::filesystem::recursive_directory_iterator(base, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      ++measured.entries;
      auto status = it->symlink_status(ec);
      if (ec) break;
      if (std::filesystem::is_regular_file(status)) {
        uint64_t size = std::filesystem::file_size(it->path(), ec);
        if (ec) break;
        measured.bytes += size;
      }
    }
    if (ec) {
      fail(error, Status::IoError,
           fmt::format("cannot measure the files of module '{}' for its quota: {}", module,
                       ec.message()));
      return nullptr;
    }
  }
  return &usage_.emplace(std::string(module), measured).first->second;
}

bool FileSandbox::usage(std::string_view module, Usage* usage, AuthorityError* error) {
  base::MutexLock lock(mutex_);
  Usage* kept = usage_locked(module, error);
  if (!kept) return false;
  *usage = *kept;
  return true;
}

bool FileSandbox::write(std::string_view module, std::string_view path, runtime::ByteView data,
                        AuthorityError* error) {
  std::vector<std::string> parts;
  if (!split(path, &parts, error)) return false;
  if (parts.empty()) return fail(error, Status::PathRefused, "file path is empty");
  if (module.empty() || module == "." || module == ".." ||
      module.find('/') != std::string_view::npos)
    return fail(error, Status::PathRefused, fmt::format("no file directory for '{}'", module));
  base::MutexLock lock(mutex_);
  // Nothing is created before the quota check: first see what exists.
  std::filesystem::path own = root_ / std::string(module);
  std::vector<std::string> dirs(parts.begin(), parts.end() - 1);
  Fd dir;
  size_t missing = dirs.size() + 1;  // the module's own directory too
  Fd module_dir(::open(own.c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (module_dir.get() < 0 && errno != ENOENT) return fail_errno(error, "directory", own.string());
  if (module_dir.get() >= 0 &&
      !open_existing(std::move(module_dir), dirs, &dir, &missing, path, error))
    return false;
  Usage* usage = usage_locked(module, error);
  if (!usage) return false;
  uint64_t old_size = 0;
  bool replaces = false;
  if (missing == 0) {
    struct stat info;
    if (::fstatat(dir.get(), parts.back().c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
      replaces = true;
      if (S_ISREG(info.st_mode)) old_size = static_cast<uint64_t>(info.st_size);
    } else if (errno != ENOENT) {
      return fail_errno(error, "write", path);  // never skip the check
    }
  }
  uint64_t bytes = usage->bytes - std::min(old_size, usage->bytes) + data.size();
  // The module's own directory is not one of its entries.
  uint64_t entries = usage->entries + std::min(missing, dirs.size()) + (replaces ? 0 : 1);
  if (bytes > quota_)
    return fail(error, Status::QuotaExceeded,
                fmt::format("writing {} bytes would take the module's files to {} bytes, past its "
                            "quota of {}",
                            data.size(), bytes, quota_));
  if (entries > kMaxEntries)
    return fail(error, Status::QuotaExceeded,
                fmt::format("the module's directory would hold more than {} entries", kMaxEntries));
  // Within the quota: create what is missing, counting each as it is made.
  if (missing > dirs.size()) {
    std::error_code ec;
    std::filesystem::create_directories(own, ec);  // with the root, if it is new
    if (ec)
      return fail(error, Status::IoError,
                  fmt::format("file directory {}: {}", own.string(), ec.message()));
    ::chmod(own.c_str(), 0700);
    Fd opened(::open(own.c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (opened.get() < 0) return fail_errno(error, "directory", own.string());
    dir = std::move(opened);
    --missing;
  }
  for (size_t i = dirs.size() - missing; i < dirs.size(); ++i) {
    if (::mkdirat(dir.get(), dirs[i].c_str(), 0700) == 0) ++usage->entries;
    Fd next(::openat(dir.get(), dirs[i].c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return fail_errno(error, "path", path);
    dir = std::move(next);
  }
  std::string temp = "." + parts.back() + ".writing";
  Fd file(::openat(dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   0600));
  if (file.get() < 0) return fail_errno(error, "write", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(file.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::unlinkat(dir.get(), temp.c_str(), 0);
      return fail_errno(error, "write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(file.get()) != 0 ||
      ::renameat(dir.get(), temp.c_str(), dir.get(), parts.back().c_str()) != 0) {
    ::unlinkat(dir.get(), temp.c_str(), 0);
    return fail_errno(error, "write", path);
  }
  ::fsync(dir.get());
  usage->bytes = bytes;
  if (!replaces) ++usage->entries;
  return true;
}

bool FileSandbox::list(std::string_view module, std::string_view path,
                       std::vector<std::string>* names, AuthorityError* error) {
  std::vector<std::string> parts;
  if (!path.empty() && !split(path, &parts, error)) return false;
  Fd dir;
  if (!open_beneath(root_, module, parts, false, &dir, path, error)) return false;
  DIR* stream = ::fdopendir(dir.release());
  if (!stream) return fail_errno(error, "list", path);
  while (dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || (name.starts_with('.') && name.ends_with(".writing")))
      continue;
    names->push_back(std::move(name));
  }
  ::closedir(stream);
  std::sort(names->begin(), names->end());
  return true;
}

bool FileSandbox::remove(std::string_view module, std::string_view path, AuthorityError* error) {
  std::vector<std::string> parts;
  if (!split(path, &parts, error)) return false;
  if (parts.empty()) return fail(error, Status::PathRefused, "file path is empty");
  base::MutexLock lock(mutex_);
  Fd dir;
  if (!open_beneath(root_, module, parts, true, &dir, path, error)) return false;
  struct stat info;
  bool known = ::fstatat(dir.get(), parts.back().c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
  if (::unlinkat(dir.get(), parts.back().c_str(), 0) != 0 &&
      (errno != EISDIR || ::unlinkat(dir.get(), parts.back().c_str(), AT_REMOVEDIR) != 0))
    return fail_errno(error, "delete", path);
  if (auto it = usage_.find(module); it != usage_.end()) {
    Usage& usage = it->second;
    if (!known) {  // what went is unknown: measure again at the next write
      usage_.erase(it);
      return true;
    }
    if (S_ISREG(info.st_mode))
      usage.bytes -= std::min(usage.bytes, static_cast<uint64_t>(info.st_size));
    usage.entries -= std::min<uint64_t>(usage.entries, 1);
  }
  return true;
}

}  // namespace interstice::authority
