// Reading and writing the WebAssembly binary format's primitives (bytes,
// LEB128 integers, names) for the module rewriter in instrumentation.cc.
// Every read is bounds-checked; a malformed input throws WasmDecodeError,
// which the rewriter turns into an Error.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace interstice::engine::wasm_bytes {

struct WasmDecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A hint of the branch hinting proposal: the `if` (or `br_if`) at `offset`
// from the start of its function body is likely taken, or not. Cranelift
// moves the unlikely side out of line.
struct BranchHint {
  uint32_t offset;
  bool likely;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t position() const { return position_; }
  bool at_end() const { return position_ == bytes_.size(); }

  uint8_t peek() const {
    need(1);
    return bytes_[position_];
  }

  uint8_t byte() {
    need(1);
    return bytes_[position_++];
  }

  std::span<const uint8_t> take(uint64_t n) {
    need(n);
    std::span<const uint8_t> out = bytes_.subspan(position_, n);
    position_ += n;
    return out;
  }

  void skip(uint64_t n) { take(n); }

  // Unsigned LEB128 of at most `bits` bits.
  uint64_t unsigned_leb(int bits = 32) {
    uint64_t value = 0;
    for (int i = 0;; ++i) {
      if (i >= (bits + 6) / 7) throw WasmDecodeError("integer representation too long");
      uint8_t b = byte();
      value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
  }

  // Signed LEB128 of at most `bits` (<= 64) bits.
  int64_t signed_leb(int bits) {
    uint64_t value = 0;
    int shift = 0;
    for (int i = 0;; ++i) {
      if (i >= (bits + 6) / 7) throw WasmDecodeError("integer representation too long");
      uint8_t b = byte();
      if (shift < 64) value |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        if (shift < 64 && (b & 0x40)) value |= ~uint64_t{0} << shift;
        return static_cast<int64_t>(value);
      }
    }
  }

  // Signed LEB128 of at most `bits` bits, skipped.
  void skip_signed_leb(int bits) {
    for (int i = 0;; ++i) {
      if (i >= (bits + 6) / 7) throw WasmDecodeError("integer representation too long");
      if ((byte() & 0x80) == 0) return;
    }
  }

  uint32_t u32() { return static_cast<uint32_t>(unsigned_leb(32)); }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - position_) throw WasmDecodeError("unexpected end of module");
  }

  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

inline void write_unsigned_leb(std::vector<uint8_t>& out, uint64_t value) {
  do {
    uint8_t b = value & 0x7f;
    value >>= 7;
    out.push_back(value ? (b | 0x80) : b);
  } while (value);
}

inline void write_signed_leb(std::vector<uint8_t>& out, int64_t value) {
  for (;;) {
    uint8_t b = value & 0x7f;
    value >>= 7;  // arithmetic shift
    bool done = (value == 0 && !(b & 0x40)) || (value == -1 && (b & 0x40));
    out.push_back(done ? b : (b | 0x80));
    if (done) return;
  }
}

// An instruction with one index immediate (local.get, global.set, ...).
inline void write_indexed(std::vector<uint8_t>& out, uint8_t opcode, uint32_t index) {
  out.push_back(opcode);
  write_unsigned_leb(out, index);
}

// i64.const `value`.
inline void write_i64_const(std::vector<uint8_t>& out, int64_t value) {
  out.push_back(0x42);
  write_signed_leb(out, value);
}

inline void write_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// A section: its id, then its content prefixed by its size.
inline void write_section(std::vector<uint8_t>& out, uint8_t id, std::span<const uint8_t> content) {
  out.push_back(id);
  write_unsigned_leb(out, content.size());
  write_bytes(out, content);
}

inline void write_name(std::vector<uint8_t>& out, std::string_view name) {
  write_unsigned_leb(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

}  // namespace interstice::engine::wasm_bytes
