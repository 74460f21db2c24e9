// The authentication handshake of protocol version 2 (docs/protocol.md,
// "Handshake", byte for byte). Both sides send Hello (versions, Ed25519
// public key, a fresh ephemeral X25519 public key as the challenge), then
// Proof: the agreed version, an Ed25519 signature of the transcript
//     "interstice-handshake-v2" || version (u32 LE)
//     || connecting side's public key || its challenge
//     || accepting side's public key || its challenge
//     || signer (1 byte: 0 the connecting side, 1 the accepting side)
// and the header of the sender's encrypted stream. Binding both keys and both
// challenges means a signature is good for this connection to this verifier
// only: a node in the middle cannot pass on another's proof. The session keys
// come from crypto_kx over the two ephemeral keys; after both Proofs every
// frame is encrypted (frame_cipher.h). Pure logic, no sockets, so it is tested
// directly.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/result.h"
#include "net/frame_cipher.h"
#include "net/identity.h"
#include "net/messages.h"

namespace interstice::net {

// Which end of the TCP connection this side is (the crypto_kx client or server).
enum class Role : uint8_t { Connecting = 0, Accepting = 1 };

class Handshake {
 public:
  Handshake(const Identity& identity, Role role);
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // Our Hello (with a fresh ephemeral key).
  const Hello& hello() const { return hello_; }
  // Checks the peer's Hello, agrees on a version, derives the session keys
  // and signs the transcript.
  base::Result<Proof> on_hello(const Hello& peer);
  // Verifies the peer's Proof; on success the peer is authenticated and
  // take_cipher() hands over the link's encryption.
  base::Result<void> on_proof(const Proof& proof);
  // Once, after a successful on_proof.
  std::unique_ptr<FrameCipher> take_cipher() { return std::move(cipher_); }

  // Valid after on_hello.
  const std::string& peer_id() const { return peer_id_; }
  uint32_t version() const { return version_; }

 private:
  std::vector<uint8_t> transcript(Role signer) const;

  const Identity& identity_;
  Role role_;
  Hello hello_;
  std::array<uint8_t, 32> ephemeral_secret_{};  // wiped once the session keys exist
  FrameCipher::Key receive_key_{};              // wiped once the receiving stream starts
  std::unique_ptr<FrameCipher> cipher_;
  std::optional<Hello> peer_;
  bool proven_ = false;  // on_proof succeeded
  std::string peer_id_;
  uint32_t version_ = 0;
};

// The two messages a connection accepts before it is authenticated. Only the
// expected one is decoded: anything else (another tag, a malformed payload)
// is refused after reading the tag, with the reason.
base::Result<Hello> decode_hello(std::span<const uint8_t> payload);
base::Result<Proof> decode_proof(std::span<const uint8_t> payload);

// Hex of a 32-byte key, as node ids are printed.
std::string key_hex(std::span<const uint8_t> key);

}  // namespace interstice::net
