// The canonical binary encoding's primitives (docs/abi.md): little-endian
// fixed-width numbers, u32 length prefixes. Writer appends to a byte vector;
// Reader reads from a span and never reads past it: every read checks the
// remaining length and a failed read leaves the Reader failed for good.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace interstice::abi {

static_assert(std::endian::native == std::endian::little,
              "the encoding assumes a little-endian host");

// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
constexpr bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  template <typename T>
    requires std::is_arithmetic_v<T>
  void number(T value) {
    uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.insert(out_.end(), bytes, bytes + sizeof(T));
  }
  void boolean(bool value) { out_.push_back(value ? 1 : 0); }
  void length(size_t n) { number<uint32_t>(static_cast<uint32_t>(n)); }
  void raw(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void string(std::string_view s) {
    length(s.size());
    raw(s.data(), s.size());
  }

  std::vector<uint8_t>& buffer() { return out_; }

 private:
  std::vector<uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  void fail() { ok_ = false; }

  template <typename T>
    requires std::is_arithmetic_v<T>
  T number() {
    T value{};
    if (!take(sizeof(T))) return value;
    std::memcpy(&value, in_.data() + pos_ - sizeof(T), sizeof(T));
    return value;
  }
  // Only 0 and 1 are valid booleans: one value, one encoding.
  bool boolean() {
    uint8_t b = number<uint8_t>();
    if (b > 1) fail();
    return b == 1;
  }
  uint32_t length() { return number<uint32_t>(); }
  // `n` raw bytes, or an empty span (and failure) if fewer remain.
  std::span<const uint8_t> bytes(size_t n) {
    if (!take(n)) return {};
    return in_.subspan(pos_ - n, n);
  }
  std::string_view string_view() {
    auto b = bytes(length());
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  }
  bool skip(size_t n) { return take(n); }

 private:
  bool take(size_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace interstice::abi
