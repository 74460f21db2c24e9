#include "node/module_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>

#include "base/env.h"
#include "storage/crc32c.h"

namespace interstice::node {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'T', 'I', 'N', 'S', 'T', '1'};

std::string sha256_hex(std::span<const uint8_t> data) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data.data(), data.size());
  std::string hex;
  for (uint8_t b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace

base::Result<Installed> decode_manifest(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return base::make_error("bad header");
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + 8, 4);
  std::span<const uint8_t> body = bytes.subspan(12);
  if (storage::crc32c(body.data(), body.size()) != crc)
    return base::make_error("checksum mismatch");
  std::string why;
  auto installed = abi::from_bytes<Installed>(body, &why);
  if (installed) return std::move(*installed);
  // Written by a node of another ABI version? The first module's schema says
  // so: [u32 module count][string name][string hash][u32 abi_version].
  abi::Reader r(body);
  uint32_t count = r.length();
  (void)r.string_view();
  (void)r.string_view();
  uint32_t abi_version = r.number<uint32_t>();
  if (r.ok() && count > 0 && abi_version != abi::kAbiVersion)
    return base::make_error(
        fmt::format(
            "lists modules built for ABI version {}, and this node speaks version {}: rebuild them "
            "with this node's SDK and start with a new data directory (or move this one's "
            "installed file away, and publish them again)",
            abi_version, abi::kAbiVersion),
        base::ErrorCode::InvalidArgument);
  return base::make_error("does not decode: " + why, base::ErrorCode::Corrupt);
}

std::vector<uint8_t> encode_manifest(const Installed& installed) {
  std::vector<uint8_t> body = abi::to_bytes(installed);
  std::vector<uint8_t> file(kMagic, kMagic + 8);
  uint32_t crc = storage::crc32c(body.data(), body.size());
  uint8_t crc_bytes[4];
  std::memcpy(crc_bytes, &crc, 4);
  file.insert(file.end(), crc_bytes, crc_bytes + 4);
  file.insert(file.end(), body.begin(), body.end());
  return file;
}

base::Result<Installed> ModuleStore::read_manifest() const {
  base::Env& env = env_;
  std::filesystem::path path = data_dir_ / "installed";
  if (!env.exists(path)) return Installed{};
  std::error_code ec;
  if (uint64_t size = std::filesystem::file_size(path, ec); !ec && size > kMaxManifestBytes)
    return base::make_error(
        fmt::format("{} is damaged (larger than {} bytes)", path.string(), kMaxManifestBytes));
  auto bytes = env.read_file(path);
  if (!bytes) return bytes.take_error();
  auto installed = decode_manifest(*bytes);
  if (!installed && installed.error().code == base::ErrorCode::InvalidArgument)
    return base::make_error(fmt::format("{} {}", path.string(), installed.error().message));
  if (!installed)
    return base::make_error(
        fmt::format("{} is damaged ({})", path.string(), installed.error().message));
  return installed;
}

base::Result<void> ModuleStore::write_manifest(const Installed& installed) const {
  return env_.write_atomically(data_dir_ / "installed", encode_manifest(installed));
}

base::Result<std::string> ModuleStore::put(std::span<const uint8_t> wasm) const {
  if (sodium_init() < 0) return base::make_error("libsodium failed to initialize");
  std::string hash = sha256_hex(wasm);
  base::Env& env = env_;
  std::filesystem::path dir = data_dir_ / "store";
  if (env.exists(dir / (hash + ".wasm"))) return hash;
  if (auto r = env.create_dirs(dir); !r) return r.take_error();
  if (auto r = env.write_atomically(dir / (hash + ".wasm"), wasm); !r) return r.take_error();
  return hash;
}

bool ModuleStore::contains(const std::string& hash) const {
  return env_.exists(data_dir_ / "store" / (hash + ".wasm"));
}

base::Result<void> ModuleStore::discard(const std::string& hash) const {
  return env_.remove(data_dir_ / "store" / (hash + ".wasm"));
}

std::string ModuleStore::hash_of(std::span<const uint8_t> wasm) {
  (void)sodium_init();  // idempotent; put() reports a failure
  return sha256_hex(wasm);
}

base::Result<std::vector<uint8_t>> ModuleStore::get(const std::string& hash) const {
  auto wasm = env_.read_file(data_dir_ / "store" / (hash + ".wasm"));
  if (!wasm) return wasm.take_error();
  if (sha256_hex(*wasm) != hash)
    return base::make_error(
        fmt::format("stored module {} is damaged (its hash does not match)", hash));
  return wasm;
}

}  // namespace interstice::node
