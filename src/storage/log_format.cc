#include "storage/log_format.h"

#include <cstring>

#include "storage/crc32c.h"

namespace interstice::storage::log_format {
namespace {

void put32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}
void put64(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t b[8];
  std::memcpy(b, &v, 8);
  out.insert(out.end(), b, b + 8);
}

}  // namespace

uint32_t record_crc(uint64_t offset, std::span<const uint8_t> payload) {
  uint32_t crc = crc32c(&offset, 8);
  return crc32c_extend(crc, payload.data(), payload.size());
}

void append_segment_header(std::vector<uint8_t>& out, uint64_t first_offset) {
  out.insert(out.end(), kMagic, kMagic + 8);
  put64(out, first_offset);
}

void append_record(std::vector<uint8_t>& out, uint64_t offset, std::span<const uint8_t> payload) {
  put32(out, static_cast<uint32_t>(payload.size()));
  put32(out, record_crc(offset, payload));
  put64(out, offset);
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace interstice::storage::log_format
