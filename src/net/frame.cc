#include "net/frame.h"

#include <cstring>

namespace interstice::net {

std::vector<uint8_t> encode_frame(const Message& message) {
  std::vector<uint8_t> payload = abi::to_bytes(message);
  std::vector<uint8_t> frame(4);
  uint32_t length = static_cast<uint32_t>(payload.size());
  std::memcpy(frame.data(), &length, 4);
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

FrameReader::Status FrameReader::next(Message* message, std::string* problem) {
  if (buffer_.size() < 4) return Status::NeedMore;
  uint32_t length;
  std::memcpy(&length, buffer_.data(), 4);
  if (length > kMaxFrame) {
    *problem = "frame of " + std::to_string(length) + " bytes exceeds the maximum of " +
               std::to_string(kMaxFrame);
    return Status::Error;
  }
  if (buffer_.size() - 4 < length) return Status::NeedMore;
  auto decoded = abi::from_bytes<Message>(std::span<const uint8_t>(buffer_.data() + 4, length));
  buffer_.erase(buffer_.begin(), buffer_.begin() + 4 + length);
  if (!decoded) {
    *problem = "frame of " + std::to_string(length) + " bytes is not a valid message";
    return Status::Error;
  }
  *message = std::move(*decoded);
  return Status::Ready;
}

}  // namespace interstice::net
