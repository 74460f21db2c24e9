#include "net/identity.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>

#include "net/secret_file.h"
#include "storage/env.h"

namespace interstice::net {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'T', 'K', 'E', 'Y', 0, 1};

}  // namespace

std::string Identity::id() const {
  std::string hex;
  for (uint8_t b : public_key) hex += fmt::format("{:02x}", b);
  return hex;
}

engine::Result<Identity> load_or_create_identity(const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) return engine::make_error("libsodium failed to initialize");
  storage::Env& env = storage::Env::posix();
  std::filesystem::path path = data_dir / "identity.key";
  Identity identity;
  if (env.exists(path)) {
    auto bytes = env.read_file(path);
    if (!bytes) return bytes.take_error();
    if (bytes->size() != 8 + 64 || std::memcmp(bytes->data(), kMagic, 8) != 0)
      return engine::make_error(
          fmt::format("{} is damaged (expected {} bytes starting with the "
                      "identity magic); restore it from a backup",
                      path.string(), 8 + 64));
    std::memcpy(identity.secret_key.data(), bytes->data() + 8, 64);
    crypto_sign_ed25519_sk_to_pk(identity.public_key.data(), identity.secret_key.data());
    return identity;
  }
  crypto_sign_keypair(identity.public_key.data(), identity.secret_key.data());
  std::vector<uint8_t> file(kMagic, kMagic + 8);
  file.insert(file.end(), identity.secret_key.begin(), identity.secret_key.end());
  if (auto r = write_secret_file(path, file); !r) return r.take_error();  // 0600 from the start
  return identity;
}

}  // namespace interstice::net
