// Small helpers shared by the libFuzzer targets.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace interstice::fuzz {

// Reads a fuzzer input front to back; reading past the end gives zeros and
// empty spans.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : bytes_(data, size) {}
  uint8_t byte() {
    if (bytes_.empty()) return 0;
    uint8_t b = bytes_[0];
    bytes_ = bytes_.subspan(1);
    return b;
  }
  // Up to `n` bytes.
  std::span<const uint8_t> take(size_t n) {
    n = std::min(n, bytes_.size());
    auto part = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return part;
  }
  std::span<const uint8_t> rest() { return take(bytes_.size()); }

 private:
  std::span<const uint8_t> bytes_;
};

// A property the code promises does not hold: that is a finding.
[[noreturn]] inline void finding(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "finding: %s %s\n", what, detail.c_str());
  std::abort();
}

inline std::vector<uint8_t> to_vector(std::span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace interstice::fuzz
