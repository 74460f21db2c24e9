// Known peers, trust on first use: the first key seen at an address is
// remembered in a file; a different key there later is refused (a pinned
// entry can only be changed by editing the file). File format: one
// "ADDRESS HEX_KEY [pinned]" per line.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/mutex.h"
#include "base/result.h"

namespace interstice::net {

struct KnownPeer {
  std::string address;
  std::string key;
  bool pinned = false;
};

// The file's text, line by line; lines that are not "ADDRESS KEY [pinned]"
// are skipped. Work and memory are proportional to the text.
std::vector<KnownPeer> parse_known_peers(std::string_view text);

// Only the first kMaxKnownPeersBytes of the file are read (a damaged line
// there fails safe: its key no longer matches, so the peer is refused).
inline constexpr uint64_t kMaxKnownPeersBytes = 16u << 20;

class KnownPeers {
 public:
  // Reads `file` if it exists; saves it through `env`, which must outlive this.
  KnownPeers(base::Env& env, std::filesystem::path file);

  // Accepts `key` at `address` if it is the known one, or remembers it if the
  // address is new; refuses a different key with a message naming both.
  base::Result<void> check(const std::string& address, const std::string& key);
  // Pins `key` for `address` (replacing what was known).
  base::Result<void> pin(const std::string& address, const std::string& key);

 private:
  struct Entry {
    std::string key;
    bool pinned = false;
  };
  base::Result<void> save() REQUIRES(mutex_);

  base::Env& env_;
  std::filesystem::path file_;
  base::Mutex mutex_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mutex_);
};

}  // namespace interstice::net
