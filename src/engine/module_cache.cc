#include "engine/module_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <fstream>

namespace interstice::engine {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'T', 'C', 'W', 'A', 'S', 'M'};
constexpr uint32_t kFormatVersion = 1;

// On-disk header, little-endian, followed by `payload_size` bytes.
struct Header {
  char magic[8];
  uint32_t format_version;
  uint32_t reserved;
  uint64_t key_high;
  uint64_t key_low;
  uint64_t payload_size;
  uint64_t payload_hash_high;
  uint64_t payload_hash_low;
};
static_assert(sizeof(Header) == 56);

XXH128_hash_t hash_of(std::span<const uint8_t> bytes) {
  return XXH3_128bits(bytes.data(), bytes.size());
}

bool write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

ModuleCache::ModuleCache(std::filesystem::path dir, std::string settings_fingerprint)
    : dir_(std::move(dir)), fingerprint_(std::move(settings_fingerprint)) {}

std::string ModuleCache::Key::hex() const {
  return fmt::format("{:016x}{:016x}", high, low);
}

ModuleCache::Key ModuleCache::key_for(std::span<const uint8_t> wasm) const {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, fingerprint_.data(), fingerprint_.size());
  XXH3_128bits_update(state, wasm.data(), wasm.size());
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return Key{h.high64, h.low64};
}

std::filesystem::path ModuleCache::path_for(const Key& key) const {
  return dir_ / (key.hex() + ".cwasm");
}

std::optional<std::vector<uint8_t>> ModuleCache::read(const Key& key, std::string* problem) const {
  std::filesystem::path path = path_for(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;  // not cached yet: not a problem
  Header header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header)) {
    *problem = fmt::format("cache entry {} is truncated (no header)", path.string());
    return std::nullopt;
  }
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 ||
      header.format_version != kFormatVersion) {
    *problem = fmt::format("cache entry {} has an unknown format", path.string());
    return std::nullopt;
  }
  if (header.key_high != key.high || header.key_low != key.low) {
    *problem = fmt::format("cache entry {} belongs to another module", path.string());
    return std::nullopt;
  }
  std::error_code ec;
  uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size != sizeof header + header.payload_size) {
    *problem = fmt::format("cache entry {} has the wrong size", path.string());
    return std::nullopt;
  }
  std::vector<uint8_t> payload(header.payload_size);
  if (!in.read(reinterpret_cast<char*>(payload.data()),
               static_cast<std::streamsize>(payload.size()))) {
    *problem = fmt::format("cache entry {} is truncated", path.string());
    return std::nullopt;
  }
  XXH128_hash_t h = hash_of(payload);
  if (h.high64 != header.payload_hash_high || h.low64 != header.payload_hash_low) {
    *problem = fmt::format("cache entry {} is corrupted (checksum mismatch)", path.string());
    return std::nullopt;
  }
  return payload;
}

bool ModuleCache::write(const Key& key, std::span<const uint8_t> serialized,
                        std::string* problem) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    *problem = fmt::format("cannot create cache directory {}: {}", dir_.string(), ec.message());
    return false;
  }
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format_version = kFormatVersion;
  header.key_high = key.high;
  header.key_low = key.low;
  header.payload_size = serialized.size();
  XXH128_hash_t h = hash_of(serialized);
  header.payload_hash_high = h.high64;
  header.payload_hash_low = h.low64;

  std::filesystem::path final_path = path_for(key);
  std::string tmp = fmt::format("{}.tmp.{}", final_path.string(), ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *problem = fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
    return false;
  }
  bool ok = write_all(fd, &header, sizeof header) &&
            write_all(fd, serialized.data(), serialized.size()) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), final_path.c_str()) != 0) {
    *problem = fmt::format("cannot write {}: {}", final_path.string(), std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace interstice::engine
