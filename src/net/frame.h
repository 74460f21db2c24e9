// Frames: [u32 payload length, little-endian][payload]. Before the handshake
// ends a payload is a Message in the clear (only Hello and Proof), at most
// kMaxHandshakeFrame bytes; after it, a payload is encrypted (frame_cipher.h)
// and holds one or more messages, at most kMaxFrame bytes. A longer frame ends the
// connection as soon as its length is read, before anything is allocated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/messages.h"

namespace interstice::net {

// The largest plaintext of an encrypted frame (its messages, each with its
// length).
inline constexpr uint32_t kMaxMessage = 16u << 20;
// The largest frame payload after the handshake: a message and its 17-byte
// authentication tag (crypto_secretstream_xchacha20poly1305_ABYTES).
inline constexpr uint32_t kMaxFrame = kMaxMessage + 17;
// The largest frame payload before the handshake ends (Hello, Proof).
inline constexpr uint32_t kMaxHandshakeFrame = 4096;

// [length][payload].
std::vector<uint8_t> frame_of(std::span<const uint8_t> payload);
// A frame carrying `message` in the clear: Hello and Proof (and tests).
std::vector<uint8_t> encode_frame(const Message& message);

// The plaintext of an encrypted frame is one or more messages, each
// [u32 length][Message], so that a write of many answers costs one
// encryption. `append_message` adds one; `split_messages` decodes them all,
// or says why not (a length beyond the plaintext, a malformed message).
void append_message(std::vector<uint8_t>& plaintext, const Message& message);
base::Result<std::vector<Message>> split_messages(std::span<const uint8_t> plaintext);

// Accumulates bytes from a stream and cuts them into frame payloads.
// Not thread-safe: one reader.
class FrameReader {
 public:
  explicit FrameReader(uint32_t max_payload = kMaxHandshakeFrame) : max_payload_(max_payload) {}
  // Applies to the frames not yet returned by next().
  void set_max_payload(uint32_t max_payload) { max_payload_ = max_payload; }

  void feed(std::span<const uint8_t> bytes);

  enum class Status { NeedMore, Ready, Error };
  // The next frame's payload, if a whole frame is buffered. On Error,
  // `problem` says why (an oversized frame) and the stream is unusable.
  Status next(std::vector<uint8_t>* payload, std::string* problem);

  size_t buffered() const { return buffer_.size() - start_; }

 private:
  uint32_t max_payload_;
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;  // where the unread bytes begin in buffer_
};

}  // namespace interstice::net
