// One process per data directory: an exclusive flock(2) on DATA_DIR/LOCK,
// held while the DataDirLock lives (the kernel drops it when the process
// ends, even by SIGKILL, so a crash leaves no stale lock). The file holds the
// holder's PID and what it is ("node", "log repair"), for the message of the
// next process that tries.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"

namespace interstice::node {

class DataDirLock {
 public:
  // Fails, naming the holder's PID, if another process holds the lock.
  [[nodiscard]] static base::Result<DataDirLock> acquire(const std::filesystem::path& data_dir,
                                                         const std::string& holder);
  DataDirLock() = default;
  DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  ~DataDirLock();

 private:
  int fd_ = -1;
};

}  // namespace interstice::node
