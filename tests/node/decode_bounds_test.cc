// Bounds on what the node decodes from clients, module files and its data
// directory (docs/abi.md, "Bounds"): each hostile input is refused with a
// clear error instead of crashing the node, recursing without end or
// generating code from it.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/resource.h>

#include <cstring>
#include <fstream>

#include "authority/file_path.h"
#include "net/identity.h"
#include "net/known_peers.h"
#include "node/bindings.h"
#include "node/json_codec.h"
#include "node/module_store.h"
#include "node/operator_key.h"
#include "storage/crc32c.h"
#include "support/temp_dir.h"

namespace interstice::node {
namespace {

using abi::TypeKind;

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(ClientJson, DeepJsonIsRefusedBeforeItIsBuilt) {
  std::string deep(8 << 20, '[');  // 8 MiB of '[': ~300 MB as a json tree
  long before = peak_rss_kib();
  auto parsed = parse_client_json(deep);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "JSON nested deeper than 128 arrays and objects");
  EXPECT_LT(peak_rss_kib() - before, 64 << 10) << "KiB of peak memory for a refused body";
  // Brackets inside strings are not nesting; 128 levels are fine.
  EXPECT_TRUE(parse_client_json("[\"" + std::string(1000, '[') + "\"]"));
  EXPECT_TRUE(parse_client_json(std::string(128, '[') + std::string(128, ']')));
  EXPECT_FALSE(parse_client_json(std::string(129, '[') + std::string(129, ']')));
  EXPECT_EQ(parse_client_json("[1,").error().message, "not valid JSON");
}

TEST(ClientJson, ConversionFollowsARecursiveTypeAtMost64Deep) {
  std::vector<abi::TypeDef> defs{
      {"Node", abi::TypeDefKind::Struct, {{"next", abi::optional_of(abi::named("Node"))}}}};
  abi::TypeResolver types(defs);
  auto chain = [](int depth) {
    std::string text = "null";
    for (int i = 0; i < depth; ++i) text = R"({"next": )" + text + "}";
    return nlohmann::ordered_json::parse(text);
  };
  // Each Node level is two conversions (the struct, then its optional).
  EXPECT_TRUE(json_to_bytes(chain(31), abi::named("Node"), types));
  auto deep = json_to_bytes(chain(100), abi::named("Node"), types);
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("the value nests deeper than 64"), std::string::npos)
      << deep.error().message;
}

abi::ModuleSchema schema_named(std::string type_name) {
  abi::ModuleSchema s;
  s.name = "shop";
  s.types.push_back(
      abi::TypeDef{type_name, abi::TypeDefKind::Struct, {{"id", abi::primitive(TypeKind::U32)}}});
  return s;
}

TEST(Bindings, NamesThatAreNotIdentifiersAreRefused) {
  auto injected =
      generate_bindings(schema_named("Order {}; inline int evil() { return 1; } struct X"));
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().message.rfind("the type name 'Order {}; inline", 0), 0u)
      << injected.error().message;
  EXPECT_FALSE(generate_bindings(schema_named("")));
  EXPECT_FALSE(generate_bindings(schema_named("9lives")));
  EXPECT_TRUE(generate_bindings(schema_named("Order_2")));
}

// A manifest whose schema holds a type nested 100,000 deep.
std::vector<uint8_t> manifest_with_deep_type() {
  Installed installed;
  InstalledModule module{"deep", std::string(64, 'a'), {}};
  module.schema.name = "deep";
  module.schema.reducers.push_back(abi::ReducerDef{"r", {{"x", abi::primitive(TypeKind::U8)}}});
  installed.modules.push_back(module);
  std::vector<uint8_t> file = encode_manifest(installed);
  // The u8 is the last 12 bytes before the reducer's kind and empty result,
  // then the schema's empty lists and the manifest's empty grants (28 bytes).
  std::vector<uint8_t> tail(file.end() - 28, file.end());
  file.resize(file.size() - 28 - 12);
  const int depth = 100'000;
  size_t at = file.size();
  file.resize(at + size_t(depth) * 12 + 12, 0);
  for (int i = 0; i < depth; ++i) file[at + 8 * size_t(i)] = 13, file[at + 8 * size_t(i) + 4] = 1;
  file[at + 8 * size_t(depth)] = static_cast<uint8_t>(TypeKind::U8);
  file.insert(file.end(), tail.begin(), tail.end());
  // The checksum of the new body.
  uint32_t crc = storage::crc32c(file.data() + 12, file.size() - 12);
  std::memcpy(file.data() + 8, &crc, 4);
  return file;
}

TEST(Manifest, ADeepTypeInTheManifestIsAnErrorNotACrash) {
  testing::TempDir dir;
  std::vector<uint8_t> file = manifest_with_deep_type();
  std::ofstream(dir.path() / "installed", std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  auto manifest = ModuleStore(interstice::base::Env::posix(), dir.path()).read_manifest();
  ASSERT_FALSE(manifest);
  EXPECT_NE(manifest.error().message.find("is damaged (does not decode: a type nested deeper "
                                          "than 64)"),
            std::string::npos)
      << manifest.error().message;
}

TEST(Manifest, OneWrittenForAnotherAbiVersionSaysSo) {
  // ABI version 2's schema had no migrations: the same bytes without them.
  Installed installed;
  installed.modules.push_back(InstalledModule{"hello", std::string(64, 'a'), {}});
  installed.modules[0].schema.abi_version = 2;
  installed.modules[0].schema.name = "hello";
  std::vector<uint8_t> file = encode_manifest(installed);
  file.erase(file.end() - 8, file.end() - 4);  // the empty migrations, before the grants
  uint32_t crc = storage::crc32c(file.data() + 12, file.size() - 12);
  std::memcpy(file.data() + 8, &crc, 4);
  testing::TempDir dir;
  std::ofstream(dir.path() / "installed", std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  auto manifest = ModuleStore(interstice::base::Env::posix(), dir.path()).read_manifest();
  ASSERT_FALSE(manifest);
  EXPECT_NE(manifest.error().message.find("installed lists modules built for ABI version 2, and "
                                          "this node speaks version 3: rebuild them"),
            std::string::npos)
      << manifest.error().message;
}

TEST(KeyFiles, AnIdentityWhosePublicHalfIsNotItsOwnIsRefused) {
  ASSERT_GE(sodium_init(), 0);
  uint8_t pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  std::vector<uint8_t> file{'I', 'S', 'T', 'K', 'E', 'Y', 0, 1};
  file.insert(file.end(), sk, sk + 64);
  auto good = net::parse_identity_key(file);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(std::memcmp(good->public_key.data(), pk, 32), 0);
  file.back() ^= 1;
  auto bad = net::parse_identity_key(file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "its public key does not belong to its secret key");
  file.push_back(0);
  EXPECT_FALSE(net::parse_identity_key(file));
}

TEST(KeyFiles, AHugeOperatorKeyFileIsRefusedWithoutReadingIt) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "operator.key";
  // A sparse file of 1 GiB: reading it whole would cost a gigabyte.
  std::ofstream(path).close();
  std::filesystem::resize_file(path, 1ull << 30);
  long before = peak_rss_kib();
  auto key = load_or_create_operator_key(interstice::base::Env::posix(), dir.path());
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message.find("is damaged"), std::string::npos);
  EXPECT_LT(peak_rss_kib() - before, 64 << 10) << "KiB of peak memory";
  EXPECT_EQ(*parse_operator_key(std::string(64, 'a') + "\r\n"), std::string(64, 'a'));
}

TEST(KeyFiles, KnownPeersParseLineByLine) {
  auto peers = net::parse_known_peers("a:1 k1\n\n  b:2\tk2 pinned  \nlonely\nc:3 k3 other");
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[0].address, "a:1");
  EXPECT_FALSE(peers[0].pinned);
  EXPECT_EQ(peers[1].key, "k2");
  EXPECT_TRUE(peers[1].pinned);
  EXPECT_FALSE(peers[2].pinned);
}

TEST(FilePaths, ComponentsAreBounded) {
  std::vector<std::string> parts;
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += "d/";
  EXPECT_EQ(authority::split_file_path(deep + "f", &parts),
            "file path '" + deep + "f' has more than 64 components");
  parts.clear();
  EXPECT_EQ(authority::split_file_path(deep.substr(0, 63 * 2) + "f", &parts), "");
  EXPECT_EQ(parts.size(), 64u);
  parts.clear();
  std::string long_name(256, 'n');
  EXPECT_EQ(authority::split_file_path(long_name, &parts),
            "file path '" + long_name + "' has a component longer than 255 bytes");
}

}  // namespace
}  // namespace interstice::node
