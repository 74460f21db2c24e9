#include "net/frame_cipher.h"

#include <cstring>

namespace interstice::net {

FrameCipher::~FrameCipher() {
  sodium_memzero(&sending_, sizeof sending_);
  sodium_memzero(&receiving_, sizeof receiving_);
}

FrameCipher::Header FrameCipher::start_sending(const Key& key) {
  Header header;
  crypto_secretstream_xchacha20poly1305_init_push(&sending_, header.data(), key.data());
  return header;
}

base::Result<void> FrameCipher::start_receiving(const Key& key, std::span<const uint8_t> header) {
  if (header.size() != crypto_secretstream_xchacha20poly1305_HEADERBYTES)
    return base::make_error("the peer's stream header has the wrong size");
  if (crypto_secretstream_xchacha20poly1305_init_pull(&receiving_, header.data(), key.data()) != 0)
    return base::make_error("the peer's stream header is invalid");
  return {};
}

std::vector<uint8_t> FrameCipher::seal_frame(std::span<const uint8_t> plaintext) {
  size_t length = plaintext.size() + crypto_secretstream_xchacha20poly1305_ABYTES;
  std::vector<uint8_t> frame(4 + length);
  uint32_t length32 = static_cast<uint32_t>(length);
  std::memcpy(frame.data(), &length32, 4);
  crypto_secretstream_xchacha20poly1305_push(&sending_, frame.data() + 4, nullptr, plaintext.data(),
                                             plaintext.size(), nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return frame;
}

base::Result<std::vector<uint8_t>> FrameCipher::open(std::span<const uint8_t> ciphertext) {
  if (ciphertext.size() < crypto_secretstream_xchacha20poly1305_ABYTES)
    return base::make_error("an encrypted frame is shorter than its authentication tag");
  std::vector<uint8_t> plaintext(ciphertext.size() - crypto_secretstream_xchacha20poly1305_ABYTES);
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&receiving_, plaintext.data(), nullptr, &tag,
                                                 ciphertext.data(), ciphertext.size(), nullptr,
                                                 0) != 0 ||
      tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
    return base::make_error(
        "an encrypted frame does not authenticate (changed, replayed, reordered or not "
        "encrypted for this link)");
  return plaintext;
}

}  // namespace interstice::net
