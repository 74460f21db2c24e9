// A bounds-checked view of a module's linear memory, for host code.
//
// Every accessor checks offset + length against the memory size with 64-bit
// arithmetic and returns nullopt / false when out of range, so a bad pointer
// from wasm can never make the host read or write outside the memory.
// A view is valid only until wasm code runs again: memory.grow may move the
// memory, so take a fresh view after every call into wasm.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace interstice::engine {

class MemoryView {
 public:
  MemoryView() = default;
  MemoryView(uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool contains(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  std::optional<std::span<uint8_t>> bytes(uint64_t offset, uint64_t length) const {
    if (!contains(offset, length)) return std::nullopt;
    return std::span<uint8_t>(data_ + offset, length);
  }

  std::optional<std::string_view> string(uint64_t offset, uint64_t length) const {
    if (!contains(offset, length)) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_ + offset), length);
  }

  // Little-endian loads and stores of trivially copyable values (the host is
  // little-endian, as wasm is). Unaligned access is fine.
  template <typename T>
  std::optional<T> load(uint64_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return std::nullopt;
    T value;
    std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }

  template <typename T>
  bool store(uint64_t offset, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return false;
    std::memcpy(data_ + offset, &value, sizeof(T));
    return true;
  }

 private:
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace interstice::engine
