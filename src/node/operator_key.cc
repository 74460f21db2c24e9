#include "node/operator_key.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>

#include "net/secret_file.h"
#include "storage/env.h"

namespace interstice::node {

engine::Result<std::string> load_or_create_operator_key(const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) return engine::make_error("libsodium failed to initialize");
  storage::Env& env = storage::Env::posix();
  std::filesystem::path path = data_dir / "operator.key";
  if (env.exists(path)) {
    auto bytes = env.read_file(path);
    if (!bytes) return bytes.take_error();
    std::string key(bytes->begin(), bytes->end());
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    bool hex = key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex)
      return engine::make_error(fmt::format(
          "{} is damaged (expected 64 lowercase hex characters); delete it to make a new one",
          path.string()));
    return key;
  }
  std::array<uint8_t, 32> secret;
  randombytes_buf(secret.data(), secret.size());
  std::string key;
  for (uint8_t b : secret) key += fmt::format("{:02x}", b);
  std::string line = key + "\n";
  // Mode 0600 from the first byte (never written readable, then chmod'ed).
  if (auto r = net::write_secret_file(
          path, std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
      !r)
    return r.take_error();
  return key;
}

bool operator_key_matches(const std::string& expected, const std::string& presented) {
  return !expected.empty() && expected.size() == presented.size() &&
         sodium_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

}  // namespace interstice::node
