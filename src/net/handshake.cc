#include "net/handshake.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace interstice::net {
namespace {

constexpr std::string_view kContext = "interstice-handshake-v2";
static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == 32);
static_assert(crypto_kx_SESSIONKEYBYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES);

void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The u32 tag of a Message payload, without decoding anything else.
std::optional<uint32_t> tag_of(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return std::nullopt;
  uint32_t tag;
  std::memcpy(&tag, payload.data(), 4);
  return tag;
}

template <typename T>
base::Result<T> decode_only(std::span<const uint8_t> payload, const char* name) {
  constexpr uint32_t expected = std::is_same_v<T, Hello> ? 0 : 1;  // tags in Message
  auto tag = tag_of(payload);
  if (!tag || *tag != expected)
    return base::make_error(
        fmt::format("expected {} (the connection is not authenticated "
                    "yet), got a message of tag {}",
                    name, tag ? std::to_string(*tag) : "none"));
  auto decoded = abi::from_bytes<T>(payload.subspan(4));
  if (!decoded) return base::make_error(fmt::format("the peer's {} is malformed", name));
  return std::move(*decoded);
}

}  // namespace

base::Result<Hello> decode_hello(std::span<const uint8_t> payload) {
  return decode_only<Hello>(payload, "Hello");
}

base::Result<Proof> decode_proof(std::span<const uint8_t> payload) {
  return decode_only<Proof>(payload, "Proof");
}

std::string key_hex(std::span<const uint8_t> key) {
  std::string hex;
  for (uint8_t b : key) hex += fmt::format("{:02x}", b);
  return hex;
}

Handshake::Handshake(const Identity& identity, Role role)
    : identity_(identity), role_(role), cipher_(std::make_unique<FrameCipher>()) {
  hello_.public_key.data.assign(identity.public_key.begin(), identity.public_key.end());
  hello_.challenge.data.resize(crypto_kx_PUBLICKEYBYTES);
  crypto_kx_keypair(hello_.challenge.data.data(), ephemeral_secret_.data());
}

Handshake::~Handshake() {
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
  sodium_memzero(receive_key_.data(), receive_key_.size());
}

std::vector<uint8_t> Handshake::transcript(Role signer) const {
  const Hello& connecting = role_ == Role::Connecting ? hello_ : *peer_;
  const Hello& accepting = role_ == Role::Connecting ? *peer_ : hello_;
  std::vector<uint8_t> m(kContext.begin(), kContext.end());
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<uint8_t>(version_ >> (8 * i)));
  append(m, connecting.public_key.data);
  append(m, connecting.challenge.data);
  append(m, accepting.public_key.data);
  append(m, accepting.challenge.data);
  m.push_back(static_cast<uint8_t>(signer));
  return m;
}

base::Result<Proof> Handshake::on_hello(const Hello& peer) {
  if (peer_) return base::make_error("a second Hello");
  uint32_t high = std::min(peer.max_version, hello_.max_version);
  uint32_t low = std::max(peer.min_version, hello_.min_version);
  if (high < low)
    return base::make_error(fmt::format(
        "no common protocol version (peer speaks {}..{}, this node {}..{}){}", peer.min_version,
        peer.max_version, hello_.min_version, hello_.max_version,
        peer.max_version < 2 ? ": the peer runs an older Interstice whose handshake can be "
                               "relayed and whose links are not encrypted; upgrade it"
        : peer.max_version < 3
            ? ": the peer runs an older Interstice whose subscriptions cannot resume; upgrade it"
        : peer.max_version < hello_.min_version
            ? ": the peer runs an older Interstice that cannot ask or answer queries; upgrade it"
            : ": the peer runs a newer Interstice; upgrade this node"));
  if (peer.public_key.data.size() != crypto_sign_PUBLICKEYBYTES)
    return base::make_error("the peer's public key has the wrong size");
  if (peer.challenge.data.size() != crypto_kx_PUBLICKEYBYTES)
    return base::make_error("the peer's challenge has the wrong size");
  if (peer.public_key.data == hello_.public_key.data)
    return base::make_error("the peer presented this node's own key");
  FrameCipher::Key receive{}, send{};
  int derived =
      role_ == Role::Connecting
          ? crypto_kx_client_session_keys(receive.data(), send.data(), hello_.challenge.data.data(),
                                          ephemeral_secret_.data(), peer.challenge.data.data())
          : crypto_kx_server_session_keys(receive.data(), send.data(), hello_.challenge.data.data(),
                                          ephemeral_secret_.data(), peer.challenge.data.data());
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
  if (derived != 0) {
    sodium_memzero(receive.data(), receive.size());
    return base::make_error("the peer's challenge is not a usable X25519 key");
  }
  version_ = high;
  peer_ = peer;
  peer_id_ = key_hex(peer.public_key.data);
  receive_key_ = receive;
  sodium_memzero(receive.data(), receive.size());
  FrameCipher::Header header = cipher_->start_sending(send);
  sodium_memzero(send.data(), send.size());
  Proof proof{version_, {}, abi::Bytes{std::vector<uint8_t>(header.begin(), header.end())}};
  std::vector<uint8_t> m = transcript(role_);
  proof.signature.data.resize(crypto_sign_BYTES);
  crypto_sign_detached(proof.signature.data.data(), nullptr, m.data(), m.size(),
                       identity_.secret_key.data());
  return proof;
}

base::Result<void> Handshake::on_proof(const Proof& proof) {
  if (!peer_) return base::make_error("proof before hello");
  if (proven_) return base::make_error("a second Proof");
  if (proof.version != version_)
    return base::make_error(
        fmt::format("the peer agreed on version {}, expected {}", proof.version, version_));
  if (proof.signature.data.size() != crypto_sign_BYTES)
    return base::make_error("the peer's signature has the wrong size");
  Role peer_role = role_ == Role::Connecting ? Role::Accepting : Role::Connecting;
  std::vector<uint8_t> m = transcript(peer_role);
  if (crypto_sign_verify_detached(proof.signature.data.data(), m.data(), m.size(),
                                  peer_->public_key.data.data()) != 0)
    return base::make_error(
        "the peer's signature does not verify: it does not hold the key it presented, or it "
        "signed a handshake with another node (a relay)");
  auto started = cipher_->start_receiving(receive_key_, proof.stream_header.data);
  sodium_memzero(receive_key_.data(), receive_key_.size());
  if (!started) return started.take_error();
  proven_ = true;
  return {};
}

}  // namespace interstice::net
