#include "node/operator_key.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>

#include "base/env.h"
#include "net/secret_file.h"

namespace interstice::node {

base::Result<std::string> parse_operator_key(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  bool hex = text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) return base::make_error("expected 64 lowercase hex characters");
  return std::string(text);
}

base::Result<std::string> load_or_create_operator_key(base::Env& env,
                                                      const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) return base::make_error("libsodium failed to initialize");
  std::filesystem::path path = data_dir / "operator.key";
  if (env.exists(path)) {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    auto bytes = ec || size > kMaxOperatorKeyFileBytes
                     ? base::Result<std::vector<uint8_t>>(std::vector<uint8_t>())
                     : env.read_file(path);
    if (!bytes) return bytes.take_error();
    auto key = parse_operator_key(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!key)
      return base::make_error(fmt::format("{} is damaged ({}); delete it to make a new one",
                                          path.string(), key.error().message));
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
