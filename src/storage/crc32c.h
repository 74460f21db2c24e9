// CRC-32C (Castagnoli), as used by the transaction log (docs/storage.md).
// Uses the SSE4.2 crc32 instruction when the CPU has it, else a table.
// Debian packages no C++ CRC-32C library, hence this small implementation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace interstice::storage {

// Extends `crc` (0 to start) over `data`.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(const void* data, size_t size) {
  return crc32c_extend(0, data, size);
}

}  // namespace interstice::storage
