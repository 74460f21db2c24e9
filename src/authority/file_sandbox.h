// FileSandbox: the File authority's back-end. Each module gets its own
// directory, ROOT/<module>/ (created on first use, mode 0700). Paths are
// relative and '/'-separated; an empty or absolute path, a '.' or '..'
// component, and any symlink on the way are refused (every component is
// opened with O_NOFOLLOW beneath the module's directory), so nothing outside
// it can be read, written, listed or deleted.
#pragma once

#include <filesystem>

#include "runtime/authorities.h"

namespace interstice::authority {

class FileSandbox : public runtime::FileBackend {
 public:
  explicit FileSandbox(std::filesystem::path root) : root_(std::move(root)) {}

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

 private:
  const std::filesystem::path root_;
};

}  // namespace interstice::authority
