// libFuzzer target: the installed-modules manifest (DATA_DIR/installed,
// node/module_store.h). The first byte picks what the rest is: the whole
// file, or its body (header and checksum made right, so the decoder is
// reached). A manifest that decodes must encode back to the same file.
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "node/module_store.h"
#include "storage/crc32c.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  bool whole_file = in.byte() & 1;
  auto rest = in.rest();
  std::vector<uint8_t> file;
  if (whole_file) {
    file = fuzz::to_vector(rest);
  } else {
    file = {'I', 'S', 'T', 'I', 'N', 'S', 'T', '1', 0, 0, 0, 0};
    uint32_t crc = storage::crc32c(rest.data(), rest.size());
    std::memcpy(file.data() + 8, &crc, 4);
    file.insert(file.end(), rest.begin(), rest.end());
  }
  auto installed = node::decode_manifest(file);
  if (!installed) {
    if (installed.error().message.empty()) fuzz::finding("a refused manifest has no reason");
    return 0;
  }
  if (node::encode_manifest(*installed) != file)
    fuzz::finding("a decoded manifest encodes differently");
  return 0;
}
