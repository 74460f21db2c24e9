// FrameCipher: the encryption of a link after the handshake (docs/protocol.md,
// "Encrypted frames"). Each direction is one libsodium
// crypto_secretstream_xchacha20poly1305 stream keyed by the crypto_kx session
// key of that direction; each frame's payload is one stream message (tag
// MESSAGE). A frame that was changed, replayed, reordered or dropped fails to
// open, and the connection must then end.
//
// Threading: sealing and opening use separate states; one thread may seal
// while another opens, but each side needs one caller at a time.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace interstice::net {

class FrameCipher {
 public:
  using Key = std::array<uint8_t, crypto_secretstream_xchacha20poly1305_KEYBYTES>;
  using Header = std::array<uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES>;

  FrameCipher() = default;
  FrameCipher(const FrameCipher&) = delete;
  FrameCipher& operator=(const FrameCipher&) = delete;
  ~FrameCipher();

  // Starts the sending stream; returns its header, which the other side
  // needs to open it (it travels in Proof).
  Header start_sending(const Key& key);
  // Starts the receiving stream from the other side's header.
  base::Result<void> start_receiving(const Key& key, std::span<const uint8_t> header);

  // A whole frame ([length][ciphertext]) carrying `plaintext`.
  std::vector<uint8_t> seal_frame(std::span<const uint8_t> plaintext);
  // The plaintext of a frame's payload, or why it does not open.
  base::Result<std::vector<uint8_t>> open(std::span<const uint8_t> ciphertext);

 private:
  crypto_secretstream_xchacha20poly1305_state sending_{};
  crypto_secretstream_xchacha20poly1305_state receiving_{};
};

}  // namespace interstice::net
