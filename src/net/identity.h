// The node's identity: an Ed25519 key pair (libsodium), created on first
// start and kept in DATA_DIR/identity.key (mode 0600). The node id is the
// public key in lowercase hex.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "base/env.h"
#include "base/result.h"

namespace interstice::net {

struct Identity {
  std::array<uint8_t, 32> public_key{};
  std::array<uint8_t, 64> secret_key{};
  std::string id() const;  // hex of the public key
};

// The identity file's bytes: the magic "ISTKEY\0\1" and the 64-byte Ed25519
// secret key (seed, then public key). Anything else, or a public half that
// does not belong to the seed, is an error (why, without the path).
base::Result<Identity> parse_identity_key(std::span<const uint8_t> bytes);
inline constexpr size_t kIdentityFileBytes = 8 + 64;

// Loads DATA_DIR/identity.key, or creates it when missing. A damaged file is
// an error (never silently replaced: the id is what peers know the node by).
// Files are read through `env` (the key is written 0600 directly: secret_file.h).
base::Result<Identity> load_or_create_identity(base::Env& env,
                                               const std::filesystem::path& data_dir);

}  // namespace interstice::net
