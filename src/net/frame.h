// Frames: [u32 payload length, little-endian][payload]. A frame longer than
// kMaxFrame, or a payload that is not a valid Message, ends the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/messages.h"

namespace interstice::net {

inline constexpr uint32_t kMaxFrame = 16u << 20;

std::vector<uint8_t> encode_frame(const Message& message);

// Accumulates bytes from a stream and cuts them into messages.
class FrameReader {
 public:
  void feed(std::span<const uint8_t> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }

  enum class Status { NeedMore, Ready, Error };
  // The next message, if a whole frame is buffered. On Error, `problem` says
  // why (oversized frame, undecodable payload) and the stream is unusable.
  Status next(Message* message, std::string* problem);

  size_t buffered() const { return buffer_.size(); }

 private:
  std::vector<uint8_t> buffer_;
};

}  // namespace interstice::net
