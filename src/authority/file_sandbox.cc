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
// `leave_last`), each beneath the previous with O_NOFOLLOW; creates missing
// directories when `create`.
static bool open_beneath(const std::filesystem::path& root, std::string_view module,
                         const std::vector<std::string>& parts, bool leave_last, bool create,
                         Fd* dir, std::string_view path, AuthorityError* error) {
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
    if (create) ::mkdirat(current.get(), parts[i].c_str(), 0700);  // EEXIST is fine
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
  if (!open_beneath(root_, module, parts, true, false, &dir, path, error)) return false;
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

bool FileSandbox::write(std::string_view module, std::string_view path, runtime::ByteView data,
                        AuthorityError* error) {
  std::vector<std::string> parts;
  if (!split(path, &parts, error)) return false;
  if (parts.empty()) return fail(error, Status::PathRefused, "file path is empty");
  Fd dir;
  if (!open_beneath(root_, module, parts, true, true, &dir, path, error)) return false;
  if (std::string why = over_quota(module, parts, data.size()); !why.empty())
    return fail(error, Status::QuotaExceeded, why);
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
  return true;
}

std::string FileSandbox::over_quota(std::string_view module, const std::vector<std::string>& parts,
                                    uint64_t size) const {
  // The directory was opened beneath the root without following symlinks,
  // and the walk does not follow them either.
  std::filesystem::path base = root_ / std::string(module);
  std::filesystem::path replaced = base;
  for (const std::string& p : parts) replaced /= p;
  uint64_t bytes = size;
  size_t entries = 1;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(base, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ++entries;
    if (it->is_regular_file(ec) && !it->is_symlink(ec) && it->path() != replaced)
      bytes += it->file_size(ec);
  }
  if (bytes > quota_)
    return fmt::format(
        "writing {} bytes would take the module's files to {} bytes, past its "
        "quota of {}",
        size, bytes, quota_);
  if (entries > kMaxEntries)
    return fmt::format("the module's directory holds {} entries already", kMaxEntries);
  return {};
}

bool FileSandbox::list(std::string_view module, std::string_view path,
                       std::vector<std::string>* names, AuthorityError* error) {
  std::vector<std::string> parts;
  if (!path.empty() && !split(path, &parts, error)) return false;
  Fd dir;
  if (!open_beneath(root_, module, parts, false, false, &dir, path, error)) return false;
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
  Fd dir;
  if (!open_beneath(root_, module, parts, true, false, &dir, path, error)) return false;
  if (::unlinkat(dir.get(), parts.back().c_str(), 0) != 0 &&
      (errno != EISDIR || ::unlinkat(dir.get(), parts.back().c_str(), AT_REMOVEDIR) != 0))
    return fail_errno(error, "delete", path);
  return true;
}

}  // namespace interstice::authority
