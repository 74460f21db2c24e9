// The authentication handshake (docs/protocol.md). Both sides send Hello
// (versions, public key, a fresh 32-byte challenge), then Proof: the agreed
// version and an Ed25519 signature of
//     "interstice-handshake-v1" || peer's challenge || own public key || version (u32 LE)
// Each side verifies the other's Proof with the key from its Hello. Pure
// logic, no sockets, so it is tested directly.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "engine/result.h"
#include "net/identity.h"
#include "net/messages.h"

namespace interstice::net {

class Handshake {
 public:
  explicit Handshake(const Identity& identity);

  // Our Hello (with a fresh random challenge).
  const Hello& hello() const { return hello_; }
  // Checks the peer's Hello, agrees on a version and signs its challenge.
  engine::Result<Proof> on_hello(const Hello& peer);
  // Verifies the peer's Proof; on success the peer is authenticated.
  engine::Result<void> on_proof(const Proof& proof);

  // Valid after on_hello.
  const std::string& peer_id() const { return peer_id_; }
  uint32_t version() const { return version_; }

 private:
  const Identity& identity_;
  Hello hello_;
  std::optional<Hello> peer_;
  std::string peer_id_;
  uint32_t version_ = 0;
};

// Hex of a 32-byte key, as node ids are printed.
std::string key_hex(std::span<const uint8_t> key);

}  // namespace interstice::net
