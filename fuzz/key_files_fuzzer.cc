// libFuzzer target: the node's small text and key files: known peers
// (net/known_peers.h), identity.key (net/identity.h) and operator.key
// (node/operator_key.h), as their parsers see them. The first byte picks
// the file. Known peers written back out must parse to the same entries.
#include "fuzz/fuzz_support.h"
#include "net/identity.h"
#include "net/known_peers.h"
#include "node/operator_key.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t which = in.byte() % 3;
  auto rest = in.rest();
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  if (which == 0) {
    std::vector<net::KnownPeer> peers = net::parse_known_peers(text);
    std::string written;
    for (const net::KnownPeer& p : peers)
      written += p.address + " " + p.key + (p.pinned ? " pinned" : "") + "\n";
    std::vector<net::KnownPeer> again = net::parse_known_peers(written);
    if (again.size() != peers.size()) fuzz::finding("known peers do not read back");
    for (size_t i = 0; i < peers.size(); ++i)
      if (again[i].address != peers[i].address || again[i].key != peers[i].key ||
          again[i].pinned != peers[i].pinned)
        fuzz::finding("a known peer does not read back", peers[i].address);
  } else if (which == 1) {
    auto identity = net::parse_identity_key(rest);
    if (identity && rest.size() != net::kIdentityFileBytes)
      fuzz::finding("an identity key of the wrong size was accepted");
  } else {
    auto key = node::parse_operator_key(text);
    if (key && key->size() != 64) fuzz::finding("an operator key of the wrong size was accepted");
  }
  return 0;
}
