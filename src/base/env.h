// Env: the file system as every layer sees it, behind an interface
// (as LevelDB's Env), so tests can inject faults: lose unsynced writes,
// simulate a crash at any point, flip bytes.
//
// All paths are plain std::filesystem paths. Every operation reports failure
// as a Status-like Result with a message naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace interstice::base {

// An open file being appended to. Data is durable only after sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Result<void> append(std::span<const uint8_t> data) = 0;
  virtual Result<void> sync() = 0;  // fdatasync
  virtual Result<void> close() = 0;
  virtual uint64_t size() const = 0;  // the end of what was appended
  // Zero-fills the file from its end on disk up to `end` bytes, so later
  // appends overwrite blocks the file already has and the fsync after them
  // need not also record a new file size (fdatasync then writes only data).
  // size() does not change; the zeros become durable with the next sync().
  // Files that cannot do it ignore it.
  virtual Result<void> preallocate(uint64_t end) {
    (void)end;
    return {};
  }
};

class Env {
 public:
  virtual ~Env() = default;

  // Opens `path` for appending (created if missing; existing bytes kept).
  virtual Result<std::unique_ptr<WritableFile>> open_appendable(
      const std::filesystem::path& path) = 0;
  virtual Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path) = 0;
  virtual Result<void> truncate(const std::filesystem::path& path, uint64_t size) = 0;
  virtual Result<void> rename(const std::filesystem::path& from,
                              const std::filesystem::path& to) = 0;
  virtual Result<void> remove(const std::filesystem::path& path) = 0;
  virtual Result<void> create_dirs(const std::filesystem::path& path) = 0;
  // fsync of a directory, so that renames and new files in it are durable.
  virtual Result<void> sync_dir(const std::filesystem::path& path) = 0;
  // File names (not paths) in `dir`, sorted.
  virtual Result<std::vector<std::string>> list(const std::filesystem::path& dir) = 0;
  virtual bool exists(const std::filesystem::path& path) = 0;

  // Writes `data` to `path` atomically: temporary file, fsync, rename, fsync dir.
  Result<void> write_atomically(const std::filesystem::path& path, std::span<const uint8_t> data);

  // The real file system.
  static Env& posix();
};

}  // namespace interstice::base
