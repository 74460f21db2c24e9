#include "net/known_peers.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "storage/env.h"

namespace interstice::net {

KnownPeers::KnownPeers(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string address, key, flag;
    if (!(words >> address >> key)) continue;
    words >> flag;
    entries_[address] = Entry{key, flag == "pinned"};
  }
}

engine::Result<void> KnownPeers::save() {
  std::string text;
  for (const auto& [address, e] : entries_)
    text += address + " " + e.key + (e.pinned ? " pinned" : "") + "\n";
  return storage::Env::posix().write_atomically(
      file_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

engine::Result<void> KnownPeers::check(const std::string& address, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    entries_[address] = Entry{key, false};
    return save();
  }
  if (it->second.key == key) return {};
  return engine::make_error(
      fmt::format("the peer at {} presented key {}, but {} key {} is known there{}", address, key,
                  it->second.pinned ? "the pinned" : "the", it->second.key,
                  it->second.pinned ? ""
                                    : " (trust on first use: remove the line from " +
                                          file_.string() + " to accept a new key)"));
}

engine::Result<void> KnownPeers::pin(const std::string& address, const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_[address] = Entry{key, true};
  return save();
}

}  // namespace interstice::net
