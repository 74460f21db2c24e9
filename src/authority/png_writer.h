// Writes RGBA8 pixels (top row first) as a PNG file (libpng), atomically
// (a temporary file renamed into place).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "base/result.h"

namespace interstice::authority {

base::Result<void> write_png(const std::filesystem::path& path, uint32_t width, uint32_t height,
                             const std::vector<uint8_t>& rgba);

// Reads a PNG back as RGBA8 (for tests and tools).
base::Result<std::vector<uint8_t>> read_png(const std::filesystem::path& path, uint32_t* width,
                                            uint32_t* height);

}  // namespace interstice::authority
