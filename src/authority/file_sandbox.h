// FileSandbox: the File authority's back-end. Each module gets its own
// directory, ROOT/<module>/ (created on first use, mode 0700). Paths are
// relative and '/'-separated; an empty or absolute path, a '.' or '..'
// component, and any symlink on the way are refused (every component is
// opened with O_NOFOLLOW beneath the module's directory), so nothing outside
// it can be read, written, listed or deleted.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "runtime/authorities.h"

namespace interstice::authority {

//
// Quota: each module's usage (bytes of regular files, count of entries) is
// measured by one walk of its directory at its first write, then kept up to
// date by the size change of every write and delete (changes made to the
// directory by others are not seen until the node restarts). A write is
// checked before anything is created, so a refused write creates nothing, and
// a failed measurement or stat (say, at the descriptor limit) refuses it.
// Thread-safe (one mutex): modules on different executors call it at once.
class FileSandbox : public runtime::FileBackend {
 public:
  // Each module's directory holds at most `quota` bytes and kMaxEntries
  // files and directories; a write beyond either is QuotaExceeded, so a
  // module cannot fill the disk the node's log lives on.
  explicit FileSandbox(std::filesystem::path root, uint64_t quota = kDefaultQuota)
      : root_(std::move(root)), quota_(quota) {}

  bool read(std::string_view module, std::string_view path, runtime::Bytes* data,
            runtime::AuthorityError* error) override;
  bool write(std::string_view module, std::string_view path, runtime::ByteView data,
             runtime::AuthorityError* error) override;
  bool list(std::string_view module, std::string_view path, std::vector<std::string>* names,
            runtime::AuthorityError* error) override;
  bool remove(std::string_view module, std::string_view path,
              runtime::AuthorityError* error) override;

  // Files larger than this are not read (the module gets IoError).
  static constexpr size_t kMaxFile = 64u << 20;
  static constexpr uint64_t kDefaultQuota = 1ull << 30;
  static constexpr size_t kMaxEntries = 100'000;

  // What a module's directory holds, as the quota counts it.
  struct Usage {
    uint64_t bytes = 0;    // of regular files
    uint64_t entries = 0;  // files, directories and anything else
  };
  // The module's usage as kept (measured first if it was not yet); false
  // (with the reason) if it cannot be measured.
  bool usage(std::string_view module, Usage* usage, runtime::AuthorityError* error);

 private:
  // The cached usage of `module`, measured now if needed.
  Usage* usage_locked(std::string_view module, runtime::AuthorityError* error) REQUIRES(mutex_);

  const std::filesystem::path root_;
  const uint64_t quota_;
  base::Mutex mutex_;
  std::map<std::string, Usage, std::less<>> usage_ GUARDED_BY(mutex_);  // by module
};

}  // namespace interstice::authority
