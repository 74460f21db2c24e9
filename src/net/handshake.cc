#include "net/handshake.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

namespace interstice::net {
namespace {

constexpr std::string_view kContext = "interstice-handshake-v1";

std::vector<uint8_t> signed_message(std::span<const uint8_t> challenge,
                                    std::span<const uint8_t> key, uint32_t version) {
  std::vector<uint8_t> m(kContext.begin(), kContext.end());
  m.insert(m.end(), challenge.begin(), challenge.end());
  m.insert(m.end(), key.begin(), key.end());
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<uint8_t>(version >> (8 * i)));
  return m;
}

}  // namespace

std::string key_hex(std::span<const uint8_t> key) {
  std::string hex;
  for (uint8_t b : key) hex += fmt::format("{:02x}", b);
  return hex;
}

Handshake::Handshake(const Identity& identity) : identity_(identity) {
  hello_.public_key.data.assign(identity.public_key.begin(), identity.public_key.end());
  hello_.challenge.data.resize(32);
  randombytes_buf(hello_.challenge.data.data(), 32);
}

engine::Result<Proof> Handshake::on_hello(const Hello& peer) {
  if (peer.public_key.data.size() != crypto_sign_PUBLICKEYBYTES)
    return engine::make_error("the peer's public key has the wrong size");
  if (peer.challenge.data.size() != 32)
    return engine::make_error("the peer's challenge has the wrong size");
  if (peer.public_key.data == hello_.public_key.data)
    return engine::make_error("the peer presented this node's own key");
  uint32_t high = std::min(peer.max_version, hello_.max_version);
  uint32_t low = std::max(peer.min_version, hello_.min_version);
  if (high < low)
    return engine::make_error(
        fmt::format("no common protocol version (peer speaks {}..{}, this node {}..{})",
                    peer.min_version, peer.max_version, hello_.min_version, hello_.max_version));
  version_ = high;
  peer_ = peer;
  peer_id_ = key_hex(peer.public_key.data);
  Proof proof{version_, {}};
  std::vector<uint8_t> m = signed_message(peer.challenge.data, hello_.public_key.data, version_);
  proof.signature.data.resize(crypto_sign_BYTES);
  crypto_sign_detached(proof.signature.data.data(), nullptr, m.data(), m.size(),
                       identity_.secret_key.data());
  return proof;
}

engine::Result<void> Handshake::on_proof(const Proof& proof) {
  if (!peer_) return engine::make_error("proof before hello");
  if (proof.version != version_)
    return engine::make_error(
        fmt::format("the peer agreed on version {}, expected {}", proof.version, version_));
  if (proof.signature.data.size() != crypto_sign_BYTES)
    return engine::make_error("the peer's signature has the wrong size");
  std::vector<uint8_t> m = signed_message(hello_.challenge.data, peer_->public_key.data, version_);
  if (crypto_sign_verify_detached(proof.signature.data.data(), m.data(), m.size(),
                                  peer_->public_key.data.data()) != 0)
    return engine::make_error(
        "the peer's signature does not verify: it does not hold the key it presented");
  return {};
}

}  // namespace interstice::net
