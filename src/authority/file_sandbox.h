// FileSandbox: the File authority's back-end. Each module gets its own
// directory, ROOT/<module>/ (created on first use, mode 0700). Paths are
// relative and '/'-separated; an empty or absolute path, a '.' or '..'
// component, and any symlink on the way are refused (every component is
// opened with O_NOFOLLOW beneath the module's directory), so nothing outside
// it can be read, written, listed or deleted.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/authorities.h"

namespace interstice::authority {

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

 private:
  // Empty if the module's directory, with the file at `parts` replaced by
  // `size` bytes (or created), stays within the quota; else why not.
  std::string over_quota(std::string_view module, const std::vector<std::string>& parts,
                         uint64_t size) const;

  const std::filesystem::path root_;
  const uint64_t quota_;
};

}  // namespace interstice::authority
