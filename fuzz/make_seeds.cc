// Writes the fuzzers' seed inputs (fuzz/seeds/<target>/<name>), each made
// with the node's own encoders, so that fuzzing starts from well-formed
// messages, schemas, logs, snapshots and files:
//   build-asan/fuzz/make_seeds fuzz/seeds
// The seeds are committed; run this again when a format changes. Seeds that
// are regressions (inputs a fuzzer once found) are added by hand beside them
// and not written here.
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "abi/schema.h"
#include "fuzz/memory_env.h"
#include "net/messages.h"
#include "node/module_store.h"
#include "storage/lifecycle_record.h"
#include "storage/snapshot.h"
#include "storage/transaction_log.h"
#include "storage/tx_record.h"

using namespace interstice;
using abi::Type;
using abi::TypeKind;

namespace {

std::filesystem::path root;

void write(const std::string& target, const std::string& name, std::span<const uint8_t> bytes) {
  std::filesystem::path dir = root / (target + "_fuzzer");
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}
void write(const std::string& target, const std::string& name, std::string_view text) {
  write(target, name, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
std::vector<uint8_t> cat(std::vector<uint8_t> a, std::span<const uint8_t> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
std::vector<uint8_t> u32(uint32_t v) {
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &v, 4);
  return out;
}

Type nested(int depth) {
  Type t = abi::primitive(TypeKind::U8);
  for (int i = 0; i < depth; ++i)
    t = i % 2 ? abi::vector_of(std::move(t)) : abi::optional_of(std::move(t));
  return t;
}

abi::ModuleSchema shop_schema() {
  abi::ModuleSchema s;
  s.name = "shop";
  s.version = {1, 2, 3};
  s.visibility = abi::Visibility::Public;
  s.types = {{"Order",
              abi::TypeDefKind::Struct,
              {{"id", abi::primitive(TypeKind::U64)},
               {"item", abi::primitive(TypeKind::String)},
               {"state", abi::named("State")},
               {"notes", abi::optional_of(abi::vector_of(abi::primitive(TypeKind::String)))}}},
             {"State", abi::TypeDefKind::Enum, {{"Open", abi::unit()}, {"Shipped", abi::unit()}}}};
  s.tables = {{"orders",
               "Order",
               0,
               {0},
               {{"by_item", 1, false}},
               abi::Visibility::Public,
               abi::Persistence::Logged,
               {{3, abi::to_bytes(std::optional<std::vector<std::string>>())}},
               {},
               "item = :reader OR state = 'Open'"}};
  s.reducers = {
      {"order",
       {{"item", abi::primitive(TypeKind::String)}, {"count", abi::primitive(TypeKind::U32)}}},
      {"on_order", {{"row", abi::named("Order")}}},
      {"migrate_orders", {{"old", abi::named("Order")}}},
      {"count_orders", {}, abi::ReducerKind::Query, {abi::primitive(TypeKind::U64)}}};
  s.migrations = {{"orders", "<1.0.0", "migrate_orders"}};
  s.subscriptions = {{"shop.orders.insert", "on_order"}, {"init", "order"}};
  s.authorities = {abi::Authority::File};
  s.dependencies = {{"hello", "^0.1.0", ""}};
  s.nodes = {{"Other", "127.0.0.1:7001"}};
  return s;
}

storage::TxRecord record(int i) {
  storage::TxRecord r;
  r.module = "shop";
  r.reducer = "order";
  r.args.data = abi::to_bytes(std::tuple<std::string, uint32_t>("tea", i));
  r.timestamp_us = 1'700'000'000'000'000 + i;
  r.random_seed = 42 + i;
  r.trigger =
      i % 2 ? storage::Trigger{} : storage::Trigger{storage::TriggerKind::PeerCall, {}, {}, {}, {},
                                                    static_cast<uint64_t>(i)};
  r.effects = {{"orders", storage::EffectKind::Insert, {{1, 2, 3}}}};
  if (i == 2)
    r.remote_calls = {{7, "Other", "127.0.0.1:7001", "hello", "hello", {}, "shop", "done"},
                      {9,
                       "Other",
                       "127.0.0.1:7001",
                       "board",
                       "texts",
                       {},
                       "shop",
                       "answered",
                       true,
                       1'700'000'005'000'000}};
  r.host_calls = 1;
  r.host_results = {{0, 5, {{9, 9}}}};
  return r;
}

void message_seeds() {
  net::Hello hello;
  hello.public_key.data.assign(32, 7);
  hello.challenge.data.assign(32, 9);
  net::Subscribe sub{3, "shop", "orders", "Order", shop_schema().types};
  sub.types.push_back({"Deep", abi::TypeDefKind::Struct, {{"x", nested(12)}}});
  std::vector<std::pair<std::string, net::Message>> messages{
      {"hello", hello},
      {"proof", net::Proof{1, abi::Bytes{std::vector<uint8_t>(64, 1)}}},
      {"ping", net::Ping{5}},
      {"call", net::CallRequest{1, "shop", "order", {abi::to_bytes(std::string("tea"))}}},
      {"call_result", net::CallResult{1, false, "refused"}},
      {"query", net::CallRequest{2, "shop", "count_orders", {}, true}},
      {"query_result", net::CallResult{2, true, "", abi::Bytes{abi::to_bytes(uint64_t{3})}}},
      {"subscribe", sub},
      {"subscribe_result", net::SubscribeResult{3, true, ""}},
      {"table_event", net::TableEvent{3, 10, 0, 1, {{1, 2}}, {{3, 4}}}},
  };
  for (const auto& [name, message] : messages) write("message", name, abi::to_bytes(message));
}

void abi_value_seeds() {
  // Fixed types 0..5 (abi_value_fuzzer.cc), then a type from the input.
  std::vector<uint8_t> node = cat(u32(1), std::vector<uint8_t>{1});  // value 1, next:
  node = cat(node, cat(u32(2), std::vector<uint8_t>{0}));            // value 2, no next
  node = cat(node, u32(0));                                          // no children (inner)
  node = cat(node, u32(0));                                          // no children (outer)
  write("abi_value", "node", cat({0}, node));
  write("abi_value", "shape_label", cat(cat({1}, u32(3)), abi::to_bytes(std::string("hi"))));
  write("abi_value", "vector_of_units", cat({2}, cat(u32(2), cat(u32(1), u32(0)))));
  write("abi_value", "values_of_nothing", cat({5}, u32(3)));
  write("abi_value", "tuple",
        cat({4}, abi::to_bytes(std::tuple<std::string, abi::Bytes, bool, std::optional<uint64_t>>(
                     "x", abi::Bytes{{1}}, true, 7))));
  auto typed = abi::to_bytes(std::tuple<Type, std::vector<abi::TypeDef>>(
      abi::vector_of(abi::named("Order")), shop_schema().types));
  std::vector<uint8_t> value = u32(1);
  value =
      cat(value,
          abi::to_bytes(
              std::tuple<uint64_t, std::string, uint32_t, std::optional<std::vector<std::string>>>(
                  1, "tea", 1, std::vector<std::string>{"fast"})));
  write("abi_value", "decoded_type", cat(cat({255}, u32(typed.size())), cat(typed, value)));
  auto deep = abi::to_bytes(std::tuple<Type, std::vector<abi::TypeDef>>(nested(40), {}));
  write("abi_value", "deep_type", cat(cat({255}, u32(deep.size())), deep));
}

void schema_seeds() {
  write("schema", "shop", abi::to_bytes(shop_schema()));
  abi::ModuleSchema deep = shop_schema();
  deep.reducers.push_back({"deep", {{"x", nested(60)}}});
  write("schema", "deep", abi::to_bytes(deep));
  write("bindings", "shop", cat({0}, abi::to_bytes(shop_schema())));
  write("bindings", "shop_wasm", cat({1}, abi::to_bytes(shop_schema())));
}

void log_seeds() {
  write("log", "record", cat({0}, abi::to_bytes(record(2))));
  write("log", "node_start",
        cat({0}, abi::to_bytes(storage::node_start_record(
                     {{{"shop", std::string(64, 'a')}, {"hello", std::string(64, 'b')}}, 7}))));
  write("log", "publish",
        cat({0}, abi::to_bytes(storage::publish_record({"shop", std::string(64, 'c')}, 5, 6))));
  std::vector<uint8_t> payloads{2};
  for (int i = 1; i <= 3; ++i) {
    auto r = abi::to_bytes(record(i));
    payloads.push_back(static_cast<uint8_t>(r.size()));
    payloads.push_back(static_cast<uint8_t>(r.size() >> 8));
    payloads = cat(payloads, r);
  }
  write("log", "payloads", payloads);
  // Raw segments, as the log writes them: two, the first cut at 4 * 60 bytes.
  fuzz::MemoryEnv env;
  std::vector<std::string> warnings;
  storage::LogOptions options;
  options.durability = storage::Durability::Sync;
  options.segment_bytes = 200;
  {
    auto log = std::move(storage::TransactionLog::open(env, "log", options, &warnings)).value();
    for (int i = 1; i <= 3; ++i) (void)log->append(abi::to_bytes(record(i)), {"shop"});
  }
  auto names = std::move(env.list("log")).value();
  std::vector<std::vector<uint8_t>> segments;
  for (const std::string& n : names)
    if (n.ends_with(".log")) segments.push_back(std::move(env.read_file("log/" + n)).value());
  std::vector<uint8_t> first = segments.at(0);
  first.resize(240, 0);  // the fuzzer cuts at 4 * the second byte
  std::vector<uint8_t> raw{1, 60};
  raw = cat(cat(raw, first), segments.size() > 1 ? segments[1] : std::vector<uint8_t>{});
  write("log", "segments", raw);
}

void snapshot_seeds() {
  storage::SnapshotData data;
  data.offset = 7;
  data.initialized = {"shop"};
  data.tables = {{"shop", "orders", 3, {{{1, 2, 3}}, {{4, 5}}}}};
  data.pending_calls = {record(2).remote_calls};
  data.peer_calls = {{"abcd", 4}};
  write("snapshot", "contents_v3", cat({2, 2}, abi::to_bytes(data)));
  fuzz::MemoryEnv env;
  (void)storage::write_snapshot(env, "s", data);
  auto file = std::move(env.read_file("s/00000000000000000007.snapshot")).value();
  write("snapshot", "file", cat({0}, file));
  write("snapshot", "compressed", cat({1}, std::span(file).subspan(20)));
}

void manifest_seeds() {
  node::Installed installed;
  installed.modules = {{"shop", std::string(64, 'a'), shop_schema()}};
  installed.grants = {abi::Authority::File, abi::Authority::Input};
  auto file = node::encode_manifest(installed);
  write("manifest", "body", cat({0}, std::span(file).subspan(12)));
  write("manifest", "file", cat({1}, file));
}

void key_file_seeds() {
  std::string key(64, 'a');
  write("key_files", "known_peers",
        std::string(1, '\0') + "127.0.0.1:7001 " + key + "\n[::1]:7002 " + std::string(64, 'b') +
            " pinned\n");
  if (sodium_init() < 0) return;
  uint8_t pk[32], sk[64];
  uint8_t seed[32] = {1, 2, 3};
  crypto_sign_seed_keypair(pk, sk, seed);
  std::vector<uint8_t> identity{1, 'I', 'S', 'T', 'K', 'E', 'Y', 0, 1};
  identity.insert(identity.end(), sk, sk + 64);
  write("key_files", "identity", identity);
  write("key_files", "operator", "\x02" + std::string(64, 'f') + "\n");
}

void json_seeds() {
  // Type picks (json_fuzzer.cc): 0..12 primitives, 13 Node, 14 Shape, 15
  // vector<optional<u64>>, 16 (string, vector<Shape>, f64).
  write("json", "u64",
        "\x08"
        "18446744073709551615");
  write("json", "i8",
        "\x01"
        "-128");
  write("json", "f32",
        "\x09"
        "1.5e3");
  write("json", "string",
        "\x0b"
        "\"h\\u00e9llo\\n\"");
  write("json", "bytes",
        "\x0c"
        "\"00ff10\"");
  write("json", "node",
        "\x0d"
        R"({"value": -3, "next": {"value": 4, "next": null, "children": []},
 "children": [{"value": 5, "next": null, "children": []}]})");
  write("json", "shape",
        "\x0e"
        R"({"Nested": {"Label": "x"}})");
  write("json", "vector",
        "\x0f"
        "[1, null, 3]");
  write("json", "tuple",
        "\x10"
        R"(["a", ["None", {"Circle": 2.5}], 1e-3])");
  write("json", "deep", "\x0d" + std::string(200, '[') + std::string(200, ']'));
}

void file_path_seeds() {
  write("file_path", "plain", "saves/slot1/data.bin");
  write("file_path", "dotdot", "saves/../../etc/passwd");
  write("file_path", "absolute", "/etc/passwd");
  write("file_path", "empty_component", "a//b");
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "d/";
  write("file_path", "deep", deep + "f");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds SEEDS_DIR\n");
    return 2;
  }
  root = argv[1];
  message_seeds();
  abi_value_seeds();
  schema_seeds();
  log_seeds();
  snapshot_seeds();
  manifest_seeds();
  key_file_seeds();
  json_seeds();
  file_path_seeds();
  return 0;
}
