#include "net/identity.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <cstring>

#include "base/env.h"
#include "net/secret_file.h"

namespace interstice::net {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'T', 'K', 'E', 'Y', 0, 1};

}  // namespace

std::string Identity::id() const {
  std::string hex;
  for (uint8_t b : public_key) hex += fmt::format("{:02x}", b);
  return hex;
}

base::Result<Identity> parse_identity_key(std::span<const uint8_t> bytes) {
  if (bytes.size() != kIdentityFileBytes || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return base::make_error(
        fmt::format("expected {} bytes starting with the identity magic", kIdentityFileBytes));
  if (sodium_init() < 0) return base::make_error("libsodium failed to initialize");
  Identity identity;
  std::memcpy(identity.secret_key.data(), bytes.data() + 8, 64);
  std::array<uint8_t, 64> derived{};
  crypto_sign_seed_keypair(identity.public_key.data(), derived.data(), identity.secret_key.data());
  bool matches = sodium_memcmp(derived.data(), identity.secret_key.data(), 64) == 0;
  sodium_memzero(derived.data(), derived.size());
  if (!matches) return base::make_error("its public key does not belong to its secret key");
  return identity;
}

base::Result<Identity> load_or_create_identity(base::Env& env,
                                               const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) return base::make_error("libsodium failed to initialize");
  std::filesystem::path path = data_dir / "identity.key";
  Identity identity;
  if (env.exists(path)) {
    // Never read more than a key's size (the file could be anything).
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    auto bytes = ec || size != kIdentityFileBytes
                     ? base::Result<std::vector<uint8_t>>(std::vector<uint8_t>())
                     : env.read_file(path);
    if (!bytes) return bytes.take_error();
    auto parsed = parse_identity_key(*bytes);
    if (!parsed)
      return base::make_error(fmt::format("{} is damaged ({}); restore it from a backup",
                                          path.string(), parsed.error().message));
    return parsed;
  }
  crypto_sign_keypair(identity.public_key.data(), identity.secret_key.data());
  std::vector<uint8_t> file(kMagic, kMagic + 8);
  file.insert(file.end(), identity.secret_key.begin(), identity.secret_key.end());
  if (auto r = write_secret_file(path, file); !r) return r.take_error();  // 0600 from the start
  return identity;
}

}  // namespace interstice::net
