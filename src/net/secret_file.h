// Files that only the node's user may read (identity.key, operator.key) and
// the check that warns when an existing one is readable by others.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "base/result.h"

namespace interstice::net {

// Writes `data` to `path` atomically, never readable by others: a new
// temporary file created with mode 0600 (O_EXCL, so no one else's file or
// link is reused), written, fsync'ed, renamed over `path`, directory fsync'ed.
base::Result<void> write_secret_file(const std::filesystem::path& path,
                                     std::span<const uint8_t> data);

// If `path` (a file, or the data directory) grants any access to group or
// others: a warning saying so and how to fix it (chmod 600 / chmod 700).
// Empty otherwise, or if it does not exist.
std::string exposure_warning(const std::filesystem::path& path);

}  // namespace interstice::net
