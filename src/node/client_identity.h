// Client identities (docs/client-protocol.md, "Identity"). A client proves
// an Ed25519 key: it asks for a challenge, signs
//   "interstice client identity\n" + the challenge's hex
// with its key, and gets a token the node checks without keeping state:
//   "c1." + public key hex + "." + MAC hex
// (the MAC a keyed BLAKE2b of the public key, under a secret derived from the
// operator key, so tokens survive restarts and die with the operator key).
// With the token as `Authorization: Bearer TOKEN` on HTTP calls or on the
// WebSocket upgrade, reducers see the caller "client:" + public key hex.
//
// Threading: every member from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "base/result.h"

namespace interstice::node {

inline constexpr const char* kIdentityMessagePrefix = "interstice client identity\n";

class ClientIdentities {
 public:
  explicit ClientIdentities(const std::string& operator_key);

  // A fresh challenge (64 hex digits), good for one identity within 5
  // minutes; at most 10,000 are outstanding (the oldest go first).
  std::string challenge();
  // The token for `public_key` (64 hex digits) if `signature` (128 hex
  // digits) signs the message above for an outstanding `challenge`, which
  // it uses up. InvalidArgument (malformed), Forbidden (a bad signature, an
  // unknown or expired challenge).
  base::Result<std::string> issue(const std::string& public_key, const std::string& challenge,
                                  const std::string& signature);
  // The caller a valid token stands for ("client:<public key hex>"), or
  // nullopt.
  std::optional<std::string> caller_of(const std::string& token) const;
  static bool looks_like_token(const std::string& text) { return text.starts_with("c1."); }

 private:
  std::string mac_hex(const std::string& public_key_hex) const;

  uint8_t secret_[32];  // set at construction, then only read
  mutable base::Mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> challenges_
      GUARDED_BY(mutex_);
  std::deque<std::string> order_ GUARDED_BY(mutex_);  // challenges, oldest first
};

}  // namespace interstice::node
