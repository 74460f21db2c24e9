// Builds small binary modules byte by byte, for inputs the text format cannot
// express or that would be huge as text (deep nesting, absurd declared sizes).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/wasm_bytes.h"

namespace interstice::testing {

inline void put_leb(std::vector<uint8_t>& out, uint64_t value) {
  engine::wasm_bytes::write_unsigned_leb(out, value);
}

inline void put_section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  engine::wasm_bytes::write_section(out, id, body);
}

inline std::vector<uint8_t> wasm_header() {
  return {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
}

// A module with one function `() -> ()`, exported as "run", whose body
// (without the final `end`) is `body`.
inline std::vector<uint8_t> module_with_body(const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out = wasm_header();
  put_section(out, 1, {0x01, 0x60, 0x00, 0x00});                 // type 0: () -> ()
  put_section(out, 3, {0x01, 0x00});                             // func 0: type 0
  put_section(out, 7, {0x01, 0x03, 'r', 'u', 'n', 0x00, 0x00});  // export "run" = func 0
  std::vector<uint8_t> code;
  code.push_back(0x00);  // no locals
  code.insert(code.end(), body.begin(), body.end());
  code.push_back(0x0b);
  std::vector<uint8_t> section{0x01};
  put_leb(section, code.size());
  section.insert(section.end(), code.begin(), code.end());
  put_section(out, 10, section);
  return out;
}

}  // namespace interstice::testing
