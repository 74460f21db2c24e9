// libFuzzer target: snapshots as a restarting node reads them
// (storage/snapshot.h), in memory. The first byte picks what the rest is:
//   0  the whole snapshot file;
//   1  its zstd-compressed body (the header and checksum are made right);
//   2  its decompressed contents (compressed and framed here), which reach
//      the decoder of every snapshot version (the magic's last digit comes
//      from the second byte).
// A snapshot that reads back must write and read back the same.
#include <zstd.h>

#include <cstring>

#include "fuzz/fuzz_support.h"
#include "fuzz/memory_env.h"
#include "storage/crc32c.h"
#include "storage/snapshot.h"

using namespace interstice;

namespace {

const std::filesystem::path kDir = "snapshots";
const std::filesystem::path kFile = kDir / "00000000000000000007.snapshot";

std::vector<uint8_t> framed(char version, std::span<const uint8_t> compressed) {
  std::vector<uint8_t> file{'I', 'S', 'T', 'S', 'N', 'A', 'P', static_cast<uint8_t>(version)};
  uint64_t offset = 7;
  uint8_t offset_bytes[8];
  std::memcpy(offset_bytes, &offset, 8);
  file.insert(file.end(), offset_bytes, offset_bytes + 8);
  uint32_t crc = storage::crc32c_extend(storage::crc32c(offset_bytes, 8), compressed.data(),
                                        compressed.size());
  uint8_t crc_bytes[4];
  std::memcpy(crc_bytes, &crc, 4);
  file.insert(file.end(), crc_bytes, crc_bytes + 4);
  file.insert(file.end(), compressed.begin(), compressed.end());
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t mode = in.byte() % 3;
  fuzz::MemoryEnv env;
  if (mode == 0) {
    env.put(kFile, fuzz::to_vector(in.rest()));
  } else if (mode == 1) {
    env.put(kFile, framed('3', in.rest()));
  } else {
    char version = static_cast<char>('1' + in.byte() % 3);
    auto contents = in.rest();
    std::vector<uint8_t> compressed(ZSTD_compressBound(contents.size()));
    size_t n =
        ZSTD_compress(compressed.data(), compressed.size(), contents.data(), contents.size(), 1);
    if (ZSTD_isError(n)) fuzz::finding("zstd could not compress");
    compressed.resize(n);
    env.put(kFile, framed(version, compressed));
  }
  std::vector<std::string> warnings;
  auto snapshot = storage::read_newest_snapshot(env, kDir, &warnings);
  if (!snapshot) fuzz::finding("reading snapshots failed", snapshot.error().message);
  if (!*snapshot) return 0;
  fuzz::MemoryEnv again;
  if (!storage::write_snapshot(again, kDir, **snapshot)) fuzz::finding("write_snapshot failed");
  auto reread = storage::read_newest_snapshot(again, kDir, &warnings);
  if (!reread || !*reread || abi::to_bytes(**reread) != abi::to_bytes(**snapshot))
    fuzz::finding("a snapshot does not read back as written");
  return 0;
}
