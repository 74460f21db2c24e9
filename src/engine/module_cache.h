// ModuleCache: compiled modules on disk, so a node compiles each module once.
//
// An entry is keyed by the hash of the wasm bytes, the engine settings that
// change generated code and the wasmtime version. The file holds a header
// (magic, format version, key, payload length, payload hash) and wasmtime's
// serialized module. A truncated, corrupted or stale entry fails the checks
// and is recompiled and rewritten; it is never handed to wasmtime unchecked.
// Entries are written atomically (temporary file, fsync, rename).
//
// The cache directory must be as trusted as the node binary: the payload is
// machine code, and the hash guards against corruption, not against an
// attacker who can write there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace interstice::engine {

class ModuleCache {
 public:
  ModuleCache(std::filesystem::path dir, std::string settings_fingerprint);

  struct Key {
    uint64_t high = 0;
    uint64_t low = 0;
    std::string hex() const;
  };
  Key key_for(std::span<const uint8_t> wasm) const;

  // The serialized module stored under `key`, if present and intact. A damaged
  // entry is reported in `problem` (for a warning) and nullopt returned.
  std::optional<std::vector<uint8_t>> read(const Key& key, std::string* problem) const;
  // Stores `serialized` under `key`; returns false (with `problem`) on I/O failure.
  bool write(const Key& key, std::span<const uint8_t> serialized, std::string* problem) const;

  std::filesystem::path path_for(const Key& key) const;

 private:
  std::filesystem::path dir_;
  std::string fingerprint_;
};

}  // namespace interstice::engine
