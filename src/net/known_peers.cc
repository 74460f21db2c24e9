#include "net/known_peers.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "base/env.h"

namespace interstice::net {

std::vector<KnownPeer> parse_known_peers(std::string_view text) {
  std::vector<KnownPeer> peers;
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    std::vector<std::string_view> words;
    while (words.size() < 3) {
      while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
      if (line.empty()) break;
      size_t n = 0;
      while (n < line.size() && !is_space(line[n])) ++n;
      words.push_back(line.substr(0, n));
      line.remove_prefix(n);
    }
    if (words.size() < 2) continue;
    peers.push_back(KnownPeer{std::string(words[0]), std::string(words[1]),
                              words.size() == 3 && words[2] == "pinned"});
  }
  return peers;
}

KnownPeers::KnownPeers(base::Env& env, std::filesystem::path file)
    : env_(env), file_(std::move(file)) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(file_, ec);
  if (ec) return;  // no file yet
  std::ifstream in(file_, std::ios::binary);
  std::string text(std::min(size, kMaxKnownPeersBytes), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  base::MutexLock lock(mutex_);
  for (KnownPeer& peer : parse_known_peers(text))
    entries_[peer.address] = Entry{std::move(peer.key), peer.pinned};
}

base::Result<void> KnownPeers::save() {
  std::string text;
  for (const auto& [address, e] : entries_)
    text += address + " " + e.key + (e.pinned ? " pinned" : "") + "\n";
  return env_.write_atomically(
      file_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

base::Result<void> KnownPeers::check(const std::string& address, const std::string& key) {
  base::MutexLock lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    entries_[address] = Entry{key, false};
    return save();
  }
  if (it->second.key == key) return {};
  return base::make_error(
      fmt::format("the peer at {} presented key {}, but {} key {} is known there{}", address, key,
                  it->second.pinned ? "the pinned" : "the", it->second.key,
                  it->second.pinned ? ""
                                    : " (trust on first use: remove the line from " +
                                          file_.string() + " to accept a new key)"),
      base::ErrorCode::Forbidden);
}

base::Result<void> KnownPeers::pin(const std::string& address, const std::string& key) {
  base::MutexLock lock(mutex_);
  entries_[address] = Entry{key, true};
  return save();
}

}  // namespace interstice::net
