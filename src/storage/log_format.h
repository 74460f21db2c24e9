// The transaction log's bytes on disk (docs/storage.md, "The log"): a
// segment starts with the magic and its first offset; each record is its
// length, its checksum, its offset and its payload (little-endian).
// TransactionLog writes and scans these; tools and fuzzers build them here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace interstice::storage::log_format {

inline constexpr char kMagic[8] = {'I', 'S', 'T', 'L', 'O', 'G', 0, 1};
inline constexpr size_t kSegmentHeaderBytes = 16;  // magic, first offset
inline constexpr size_t kRecordHeaderBytes = 16;   // length, crc, offset

// The checksum covers the record's offset and payload, so a record copied to
// the wrong place does not verify.
uint32_t record_crc(uint64_t offset, std::span<const uint8_t> payload);

void append_segment_header(std::vector<uint8_t>& out, uint64_t first_offset);
void append_record(std::vector<uint8_t>& out, uint64_t offset, std::span<const uint8_t> payload);

}  // namespace interstice::storage::log_format
