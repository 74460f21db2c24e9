// `interstice identity ADDR --key-file FILE`: proves the client key in FILE
// (created, mode 0600, if missing: an Ed25519 seed as 64 hex digits) to a
// node and prints the client token it issues (docs/client-protocol.md,
// "Identity"), for `interstice call --token` and the Authorization header.
#include <fmt/format.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/node_commands.h"
#include "net/secret_file.h"
#include "node/client_identity.h"

namespace interstice::cli {
namespace {

struct IdentityOptions {
  std::string address, key_file;
  bool json = false;
};

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

int identity(const IdentityOptions& o) {
  if (sodium_init() < 0) return kExitError;
  unsigned char seed[crypto_sign_SEEDBYTES];
  std::string text;
  if (std::filesystem::exists(o.key_file)) {
    std::ifstream(o.key_file) >> text;
    size_t written = 0;
    if (text.size() != 2 * sizeof seed ||
        sodium_hex2bin(seed, sizeof seed, text.data(), text.size(), nullptr, &written, nullptr) !=
            0 ||
        written != sizeof seed) {
      fmt::print(stderr, "error: {} is not a client key (64 hex digits)\n", o.key_file);
      return kExitError;
    }
  } else {
    randombytes_buf(seed, sizeof seed);
    std::string line = hex(seed, sizeof seed) + "\n";
    if (auto r = net::write_secret_file(
            o.key_file, std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
        !r) {
      fmt::print(stderr, "error: cannot write {}: {}\n", o.key_file, r.error().message);
      return kExitError;
    }
  }
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key, seed);
  std::string response;
  if (!send_to_node(o.address, NodeRequest{"POST", "/v1/identity/challenge", ""}, &response))
    return kExitError;
  std::string challenge = nlohmann::json::parse(response, nullptr, false).value("challenge", "");
  std::string message = std::string(node::kIdentityMessagePrefix) + challenge;
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key);
  nlohmann::json body = {{"public_key", hex(public_key, sizeof public_key)},
                         {"challenge", challenge},
                         {"signature", hex(signature, sizeof signature)}};
  if (!send_to_node(o.address, NodeRequest{"POST", "/v1/identity", body.dump()}, &response))
    return kExitError;
  nlohmann::json issued = nlohmann::json::parse(response, nullptr, false);
  if (o.json)
    fmt::print("{}\n", issued.dump());
  else
    fmt::print("{}\n", issued.value("token", ""));
  return kExitOk;
}

}  // namespace

void add_identity_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<IdentityOptions>();
  CLI::App* cmd = app.add_subcommand(
      "identity", "Prove a client key to a node and print the client token it issues");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("--key-file", o->key_file,
                  "The client's key (an Ed25519 seed, 64 hex digits); created if missing")
      ->required();
  cmd->add_flag("--json", o->json, "Print {\"identity\", \"token\"}");
  cmd->callback([o, &exit_code] { exit_code = identity(*o); });
}

}  // namespace interstice::cli
