// The node's installed modules, persisted: each module's wasm is stored by
// content hash (DATA_DIR/store/<sha256>.wasm) and DATA_DIR/installed lists
// the installed modules (name, version, hash, schema) and the authorities the
// operator has granted. A restart loads the installed set even if files in
// DATA_DIR/modules/ went away.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "base/env.h"
#include "base/result.h"

namespace interstice::node {

struct InstalledModule {
  std::string name;
  std::string hash;  // sha256 of the wasm, hex
  abi::ModuleSchema schema;
  INTERSTICE_TYPE(InstalledModule, name, hash, schema)
};

struct Installed {
  std::vector<InstalledModule> modules;  // in load order
  std::vector<abi::Authority> grants;    // the operator's grant policy
  INTERSTICE_TYPE(Installed, modules, grants)
};

// The manifest file's bytes: [magic "ISTINST1"][u32 crc32c of body][body:
// encoded Installed]. Decoding is bounded like every abi decoder; an error
// says what is wrong (bad header, checksum mismatch, does not decode: why).
base::Result<Installed> decode_manifest(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode_manifest(const Installed& installed);

// A manifest file larger than this is refused before it is read.
inline constexpr uint64_t kMaxManifestBytes = 1ull << 30;

class ModuleStore {
 public:
  // Reads and writes through `env`, which must outlive this.
  ModuleStore(base::Env& env, std::filesystem::path data_dir)
      : env_(env), data_dir_(std::move(data_dir)) {}

  // The manifest, or an empty one on first start; a damaged manifest is an error.
  base::Result<Installed> read_manifest() const;
  base::Result<void> write_manifest(const Installed& installed) const;
  // Stores `wasm` under its hash (if not there yet) and returns the hash.
  base::Result<std::string> put(std::span<const uint8_t> wasm) const;
  // Whether the store holds the module with this hash, and taking it out
  // again (for a publish refused before anything recorded it).
  bool contains(const std::string& hash) const;
  base::Result<void> discard(const std::string& hash) const;
  static std::string hash_of(std::span<const uint8_t> wasm);
  base::Result<std::vector<uint8_t>> get(const std::string& hash) const;

 private:
  base::Env& env_;
  std::filesystem::path data_dir_;
};

}  // namespace interstice::node
