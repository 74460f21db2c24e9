#include "node/client_identity.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <vector>

namespace interstice::node {

namespace {

constexpr size_t kMaxChallenges = 10'000;
constexpr auto kChallengeLife = std::chrono::minutes(5);

std::string to_hex(const uint8_t* bytes, size_t size) {
  std::string hex(size * 2, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, bytes, size);
  return hex;
}

// Exactly `size` bytes from lowercase or uppercase hex, or nullopt.
std::optional<std::vector<uint8_t>> from_hex(const std::string& hex, size_t size) {
  if (hex.size() != size * 2) return std::nullopt;
  std::vector<uint8_t> bytes(size);
  size_t written = 0;
  if (sodium_hex2bin(bytes.data(), size, hex.data(), hex.size(), nullptr, &written, nullptr) != 0 ||
      written != size)
    return std::nullopt;
  return bytes;
}

}  // namespace

ClientIdentities::ClientIdentities(const std::string& operator_key) {
  (void)sodium_init();
  const std::string context = "interstice client tokens";
  crypto_generichash(secret_, sizeof secret_, reinterpret_cast<const uint8_t*>(context.data()),
                     context.size(), reinterpret_cast<const uint8_t*>(operator_key.data()),
                     std::min<size_t>(operator_key.size(), crypto_generichash_KEYBYTES_MAX));
}

std::string ClientIdentities::challenge() {
  uint8_t random[32];
  randombytes_buf(random, sizeof random);
  std::string hex = to_hex(random, sizeof random);
  base::MutexLock lock(mutex_);
  while (order_.size() >= kMaxChallenges) {
    challenges_.erase(order_.front());
    order_.pop_front();
  }
  challenges_.emplace(hex, std::chrono::steady_clock::now() + kChallengeLife);
  order_.push_back(hex);
  return hex;
}

base::Result<std::string> ClientIdentities::issue(const std::string& public_key,
                                                  const std::string& challenge,
                                                  const std::string& signature) {
  auto key = from_hex(public_key, crypto_sign_PUBLICKEYBYTES);
  auto sig = from_hex(signature, crypto_sign_BYTES);
  if (!key || !sig)
    return base::make_error(
        "an identity needs \"public_key\" (64 hex digits) and \"signature\" (128 hex digits)",
        base::ErrorCode::InvalidArgument);
  {
    base::MutexLock lock(mutex_);
    auto it = challenges_.find(challenge);
    if (it == challenges_.end() || it->second < std::chrono::steady_clock::now())
      return base::make_error("the challenge is unknown, used or expired: ask for a new one",
                              base::ErrorCode::Forbidden);
    challenges_.erase(it);  // (its entry in order_ goes when it comes to the front)
  }
  std::string message = std::string(kIdentityMessagePrefix) + challenge;
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const uint8_t*>(message.data()),
                                  message.size(), key->data()) != 0)
    return base::make_error("the signature does not match the public key and the challenge",
                            base::ErrorCode::Forbidden);
  std::string hex = to_hex(key->data(), key->size());
  return "c1." + hex + "." + mac_hex(hex);
}

std::optional<std::string> ClientIdentities::caller_of(const std::string& token) const {
  if (!looks_like_token(token) || token.size() != 3 + 64 + 1 + 64 || token[3 + 64] != '.')
    return std::nullopt;
  std::string key = token.substr(3, 64);
  std::string mac = token.substr(3 + 64 + 1);
  std::string expected = mac_hex(key);
  if (sodium_memcmp(mac.data(), expected.data(), expected.size()) != 0) return std::nullopt;
  return "client:" + key;
}

std::string ClientIdentities::mac_hex(const std::string& public_key_hex) const {
  uint8_t mac[32];
  crypto_generichash(mac, sizeof mac, reinterpret_cast<const uint8_t*>(public_key_hex.data()),
                     public_key_hex.size(), secret_, sizeof secret_);
  return to_hex(mac, sizeof mac);
}

}  // namespace interstice::node
