// The canonical binary encoding's primitives (docs/abi.md): little-endian
// fixed-width numbers, u32 length prefixes. Writer appends to a byte vector;
// Reader reads from a span and never reads past it: every read checks the
// remaining length and a failed read leaves the Reader failed for good.
//
// Bounds (docs/abi.md, "Bounds"): whatever the bytes, decoding does work and
// allocates memory in proportion to their size and recurses no deeper than
// the nesting limits below; past a bound the Reader fails with a reason.
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

// A Type may nest at most this deep (vector<optional<(...)>> ...): the type
// decoder refuses deeper ones, and values are validated to the same depth.
inline constexpr int kMaxTypeDepth = 64;
// Encoded structs may nest at most this deep while decoded (only Type is
// recursive among the host's structs; this is the backstop).
inline constexpr int kMaxStructNesting = 128;

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
  // Fails for good; the first reason given is kept for error().
  void fail(const char* why = nullptr) {
    if (why_ == nullptr && why != nullptr) why_ = why;
    ok_ = false;
  }
  // Why reading failed: a bound's reason, or "truncated or malformed".
  std::string_view error() const {
    if (ok_) return {};
    return why_ != nullptr ? why_ : "truncated or malformed";
  }

  // Nesting: every enter_*() that returns true is paired with a leave_*().
  // Past the bound the Reader fails (and the caller stops descending).
  bool enter_type() { return enter(type_depth_, kMaxTypeDepth, "a type nested deeper than 64"); }
  void leave_type() { --type_depth_; }
  bool enter_struct() {
    return enter(struct_depth_, kMaxStructNesting, "structures nested deeper than 128");
  }
  void leave_struct() { --struct_depth_; }

  // One step of walking a value against its type (validate): an input
  // allows 4096 + 64 steps per byte, so a type whose values encode as
  // nothing (empty structs nested in structs with many fields) cannot make
  // a walk take exponential time.
  bool step() {
    if (steps_left_ == 0) {
      fail("a value too complex for its size");
      return false;
    }
    --steps_left_;
    return true;
  }

  // A vector's element count. The counts of all vectors in one input add up
  // to at most its size in bytes: each element of a vector starts at a byte
  // of its own unless it encodes as nothing (an empty tuple or struct), so
  // this refuses nothing else, and a 4-byte prefix can never make the
  // decoder loop or reserve for billions of elements.
  uint32_t count() {
    uint32_t n = length();
    if (!ok_) return 0;
    if (n > element_budget_) {
      fail("a vector's length exceeds the size of its input");
      return 0;
    }
    element_budget_ -= n;
    return n;
  }

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

  bool enter(int& depth, int limit, const char* why) {
    if (!ok_) return false;
    if (++depth > limit) {
      --depth;
      fail(why);
      return false;
    }
    return true;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
  const char* why_ = nullptr;
  int type_depth_ = 0;
  int struct_depth_ = 0;
  size_t element_budget_ = in_.size();
  size_t steps_left_ = 4096 + 64 * in_.size();
};

}  // namespace interstice::abi
