#include "net/frame.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>

namespace interstice::net {

static_assert(kMaxFrame - kMaxMessage == crypto_secretstream_xchacha20poly1305_ABYTES);

std::vector<uint8_t> frame_of(std::span<const uint8_t> payload) {
  std::vector<uint8_t> frame(4 + payload.size());
  uint32_t length = static_cast<uint32_t>(payload.size());
  std::memcpy(frame.data(), &length, 4);
  if (!payload.empty()) std::memcpy(frame.data() + 4, payload.data(), payload.size());
  return frame;
}

std::vector<uint8_t> encode_frame(const Message& message) {
  return frame_of(abi::to_bytes(message));
}

void append_message(std::vector<uint8_t>& plaintext, const Message& message) {
  size_t at = plaintext.size();
  plaintext.resize(at + 4);
  abi::Writer writer(plaintext);
  abi::encode(writer, message);
  uint32_t length = static_cast<uint32_t>(plaintext.size() - at - 4);
  std::memcpy(plaintext.data() + at, &length, 4);
}

base::Result<std::vector<Message>> split_messages(std::span<const uint8_t> plaintext) {
  std::vector<Message> messages;
  while (!plaintext.empty()) {
    uint32_t length = 0;
    if (plaintext.size() >= 4) std::memcpy(&length, plaintext.data(), 4);
    if (plaintext.size() < 4 || plaintext.size() - 4 < length)
      return base::make_error("a message's length goes beyond its frame");
    auto message = abi::from_bytes<Message>(plaintext.subspan(4, length));
    if (!message)
      return base::make_error(
          fmt::format("a message of {} bytes does not decode as a Message", length));
    messages.push_back(std::move(*message));
    plaintext = plaintext.subspan(4 + length);
  }
  if (messages.empty()) return base::make_error("an encrypted frame holds no message");
  return messages;
}

void FrameReader::feed(std::span<const uint8_t> bytes) {
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {  // drop what was read, now and then
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

FrameReader::Status FrameReader::next(std::vector<uint8_t>* payload, std::string* problem) {
  if (buffered() < 4) return Status::NeedMore;
  uint32_t length;
  std::memcpy(&length, buffer_.data() + start_, 4);
  if (length > max_payload_) {
    *problem = "frame of " + std::to_string(length) + " bytes exceeds the maximum of " +
               std::to_string(max_payload_);
    return Status::Error;
  }
  if (buffered() - 4 < length) return Status::NeedMore;
  const uint8_t* begin = buffer_.data() + start_ + 4;
  payload->assign(begin, begin + length);
  start_ += 4 + length;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return Status::Ready;
}

}  // namespace interstice::net
