// The client protocol against real nodes (docs/client-protocol.md): a
// WebSocket client (Boost.Beast) calls with many requests in flight,
// subscribes with SQL, receives its rows and their changes with offsets,
// reconnects and resumes from the last offset it saw, in both forms; a
// client that does not read is disconnected; bad messages end only their
// connection.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sodium.h>

#include "node/client_messages.h"
#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using json = nlohmann::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// A blocking WebSocket client of /v1/ws.
class Client {
 public:
  // `bearer`: the operator key or a client token, sent on the upgrade.
  explicit Client(uint16_t port, const std::string& bearer = "") : ws_(io_) {
    net::ip::tcp::resolver resolver(io_);
    net::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& r) {
      if (!bearer.empty()) r.set(beast::http::field::authorization, "Bearer " + bearer);
    }));
    beast::error_code ec;
    ws_.handshake("127.0.0.1", "/v1/ws", ec);
    refused_ = ec.failed();
  }
  bool refused() const { return refused_; }
  void send_json(const json& message) {
    ws_.text(true);
    ws_.write(net::buffer(message.dump()));
  }
  void send_binary(const interstice::node::ClientMessage& message) {
    send_raw_binary(interstice::abi::to_bytes(message));
  }
  // The next frame's text; empty once the node closed the connection.
  std::string read() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return "";
    return beast::buffers_to_string(buffer.data());
  }
  // The messages of the next binary frame (one or more); none once the node
  // closed the connection or if one did not decode.
  std::vector<interstice::node::ServerMessage> read_binary() {
    std::string frame = read();
    std::vector<interstice::node::ServerMessage> messages;
    std::string problem;
    bool ok = interstice::node::for_each_in_frame<interstice::node::ServerMessage>(
        std::span(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()), &problem,
        [&](interstice::node::ServerMessage m) {
          messages.push_back(std::move(m));
          return true;
        });
    if (!ok) messages.clear();
    return messages;
  }
  // Sends `frame`'s bytes as one binary frame, as they are.
  void send_raw_binary(const std::vector<uint8_t>& frame) {
    ws_.binary(true);
    ws_.write(net::buffer(frame));
  }
  // Sends `messages` packed into one binary frame.
  void send_packed(const std::vector<interstice::node::ClientMessage>& messages) {
    std::vector<uint8_t> frame;
    for (const auto& m : messages) interstice::node::append_to_frame(frame, m);
    send_raw_binary(frame);
  }
  // The close frame's code, once read() returned "" (0: no close frame came).
  uint16_t close_code() const { return ws_.reason().code; }
  // Sends `bytes` as one frame, or in 4 KiB frames.
  void send_text(const std::string& bytes, bool fragmented) {
    ws_.auto_fragment(fragmented);
    ws_.write_buffer_bytes(4096);
    ws_.text(true);
    ws_.write(net::buffer(bytes));
  }
  json read_json() {
    std::string text = read();
    return text.empty() ? json() : json::parse(text);
  }
  // Reads until `done` says so (at most `limit` messages); returns them all.
  std::vector<json> read_until(const std::function<bool(const json&)>& done, size_t limit = 10000) {
    std::vector<json> seen;
    while (seen.size() < limit) {
      json m = read_json();
      if (m.is_null()) break;
      seen.push_back(m);
      if (done(m)) break;
    }
    return seen;
  }

 private:
  net::io_context io_;
  websocket::stream<net::ip::tcp::socket> ws_;
  bool refused_ = false;
};

json call(uint64_t id, const std::string& reducer, const json& args) {
  return {
      {"type", "call"}, {"id", id}, {"module", "testkit"}, {"reducer", reducer}, {"args", args}};
}

TEST(ClientProtocol, CallsAndASubscriptionInJson) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  ASSERT_EQ(http.Post("/call/testkit/add", R"(["before", 5])", "application/json")->status, 200);
  Client client(node.port());
  client.send_json(
      {{"type", "subscribe"}, {"id", 1}, {"query", "SELECT * FROM items WHERE score > 0"}});
  json subscribed = client.read_json();
  ASSERT_EQ(subscribed["type"], "subscribed") << subscribed;
  ASSERT_EQ(subscribed["ok"], true) << subscribed;
  EXPECT_EQ(subscribed["table"], "items");
  ASSERT_EQ(subscribed["rows"].size(), 1u);
  EXPECT_EQ(subscribed["rows"][0]["name"], "before");
  uint64_t offset = subscribed["offset"];
  // 200 calls in flight at once: every answer comes, each once; only the
  // matching rows (positive scores) are updates.
  for (uint64_t i = 0; i < 200; ++i)
    client.send_json(call(100 + i, "add", {fmt::format("n{}", i), i % 2 ? 1 : -1}));
  std::set<uint64_t> answered;
  std::vector<json> updates;
  // 200 answers and 100 updates, in some interleaving.
  for (json m : client.read_until([](const json&) { return false; }, 300)) {
    if (m["type"] == "call_result") {
      EXPECT_EQ(m["ok"], true) << m;
      EXPECT_TRUE(answered.insert(m["id"].get<uint64_t>()).second) << m;
    } else {
      ASSERT_EQ(m["type"], "update") << m;
      EXPECT_EQ(m["subscription"], 1);
      EXPECT_GT(m["offset"].get<uint64_t>(), offset);
      offset = m["offset"];
      ASSERT_EQ(m["changes"].size(), 1u);
      EXPECT_EQ(m["changes"][0]["op"], "insert");
      EXPECT_EQ(m["changes"][0]["row"]["score"], 1);
      updates.push_back(m);
    }
  }
  EXPECT_EQ(answered.size(), 200u);
  EXPECT_EQ(updates.size(), 100u);
  // A row that stops matching is a delete; one that starts matching, an insert.
  uint64_t id = updates[0]["changes"][0]["row"]["id"];
  client.send_json(call(1000, "set_score", {id, -5}));
  auto seen = client.read_until([](const json& m) { return m["type"] == "update"; });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back()["changes"][0]["op"], "delete") << seen.back();
  EXPECT_EQ(seen.back()["changes"][0]["row"]["id"], id);
  // A refused call answers with its code; the connection goes on.
  client.send_json(call(1001, "no_such_reducer", json::array()));
  client.send_json({{"type", "call"},
                    {"id", 1002},
                    {"module", "testkit"},
                    {"reducer", "add"},
                    {"args", {"wrong"}}});
  // (Answers come in completion order: collect both, by id.)
  std::map<uint64_t, json> results;
  client.read_until([&](const json& m) {
    if (m["type"] == "call_result") results[m["id"].get<uint64_t>()] = m;
    return results.contains(1001) && results.contains(1002);
  });
  EXPECT_EQ(results[1001]["code"], "NotFound") << results[1001];
  EXPECT_EQ(results[1002]["code"], "InvalidArgument") << results[1002];
  client.send_json({{"type", "unsubscribe"}, {"id", 7}, {"subscription", 1}});
  // (set_score's answer may still come first.)
  json unsubscribed =
      client.read_until([](const json& m) { return m["type"] == "unsubscribed"; }).back();
  EXPECT_EQ(unsubscribed["type"], "unsubscribed");
  EXPECT_EQ(unsubscribed["ok"], true);
}

TEST(ClientProtocol, AReconnectingClientResumesAfterItsLastOffset) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  uint64_t last = 0;
  {
    Client client(node.port());
    client.send_json(
        {{"type", "subscribe"}, {"id", 1}, {"query", "SELECT id, name FROM testkit.items"}});
    ASSERT_EQ(client.read_json()["ok"], true);
    ASSERT_EQ(http.Post("/call/testkit/add", R"(["seen", 1])", "application/json")->status, 200);
    json update = client.read_json();
    ASSERT_EQ(update["type"], "update") << update;
    last = update["offset"];
  }
  // While it is away: three inserts, an update and a delete (by HTTP).
  for (const char* name : {"a", "b", "c"})
    ASSERT_EQ(http.Post("/call/testkit/add", fmt::format(R"(["{}", 2])", name), "application/json")
                  ->status,
              200);
  ASSERT_EQ(http.Post("/call/testkit/rename", R"([3, "b2"])", "application/json")->status, 200);
  ASSERT_EQ(http.Post("/call/testkit/remove_item", R"([4])", "application/json")->status, 200);
  Client client(node.port());
  client.send_json(
      {{"type", "subscribe"}, {"id", 2}, {"query", "SELECT * FROM items"}, {"resume_after", last}});
  json subscribed = client.read_json();
  ASSERT_EQ(subscribed["ok"], true) << subscribed;
  EXPECT_TRUE(subscribed["rows"].empty());
  std::vector<std::string> missed;
  for (const json& m : client.read_until([&](const json&) { return missed.size() == 5; }, 5)) {
    ASSERT_EQ(m["type"], "update") << m;
    EXPECT_GT(m["offset"].get<uint64_t>(), last);
    last = m["offset"];
    for (const json& c : m["changes"])
      missed.push_back(c["op"].get<std::string>() + ":" + c["row"]["name"].get<std::string>());
  }
  EXPECT_EQ(missed, (std::vector<std::string>{"insert:a", "insert:b", "insert:c", "update:b2",
                                              "delete:c"}));
  // Then live.
  ASSERT_EQ(http.Post("/call/testkit/add", R"(["live", 3])", "application/json")->status, 200);
  json live = client.read_json();
  EXPECT_EQ(live["changes"][0]["row"]["name"], "live") << live;
  // A resume offset beyond the log is refused.
  client.send_json({{"type", "subscribe"},
                    {"id", 3},
                    {"query", "SELECT * FROM items"},
                    {"resume_after", 1u << 30}});
  json refused = client.read_json();
  EXPECT_EQ(refused["ok"], false);
  EXPECT_NE(refused["error"].get<std::string>().find("cannot resume"), std::string::npos);
}

TEST(ClientProtocol, TheBinaryFormCarriesTheSameMessages) {
  using namespace interstice::node;
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  Client client(node.port());
  client.send_binary(SubscribeMessage{1, "SELECT * FROM items", std::nullopt});
  client.send_binary(
      CallMessage{2,
                  "testkit",
                  "add",
                  {interstice::abi::to_bytes(std::make_tuple(std::string("b"), int32_t{4}))}});
  bool called = false, updated = false;
  for (int i = 0; i < 3 && !(called && updated); ++i) {
    std::vector<ServerMessage> messages = client.read_binary();
    ASSERT_FALSE(messages.empty());
    for (const ServerMessage& message : messages) {
      if (auto* r = std::get_if<CallResult>(&message.value)) called = r->ok && r->request_id == 2;
      if (auto* u = std::get_if<Update>(&message.value)) updated = u->changes.size() == 1;
    }
  }
  EXPECT_TRUE(called);
  EXPECT_TRUE(updated);
  // Text after binary ends the connection, with a Goodbye.
  client.send_json({{"type", "unsubscribe"}, {"id", 3}, {"subscription", 1}});
  std::string frame = client.read();
  auto goodbye = interstice::abi::from_bytes<ServerMessage>(
      std::span(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()));
  ASSERT_TRUE(goodbye);
  ASSERT_TRUE(std::get_if<Goodbye>(&goodbye->value));
  EXPECT_EQ(client.read(), "");
}

// A binary frame may carry many calls, and the node packs answers that are
// ready together into one frame; a malformed message in a frame ends the
// connection after the calls before it.
TEST(ClientProtocol, ABinaryFrameCarriesManyMessagesEachWay) {
  using namespace interstice::node;
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  Client client(node.port());
  constexpr uint64_t kCalls = 300;
  std::vector<ClientMessage> calls;
  for (uint64_t id = 1; id <= kCalls; ++id)
    calls.push_back(CallMessage{
        id,
        "testkit",
        "add",
        {interstice::abi::to_bytes(std::make_tuple(fmt::format("packed{}", id), int32_t{1}))}});
  calls.push_back(CallMessage{kCalls + 1, "testkit", "no_such_reducer", {}});
  client.send_packed(calls);
  std::set<uint64_t> answered;
  size_t frames = 0, refused = 0;
  while (answered.size() < kCalls + 1) {
    std::vector<ServerMessage> messages = client.read_binary();
    ASSERT_FALSE(messages.empty()) << "after " << answered.size() << " answers";
    ++frames;
    for (const ServerMessage& message : messages) {
      const auto* result = std::get_if<CallResult>(&message.value);
      ASSERT_NE(result, nullptr);
      EXPECT_TRUE(answered.insert(result->request_id).second) << "answered twice";
      if (!result->ok) {
        ++refused;
        EXPECT_EQ(result->request_id, kCalls + 1);
        EXPECT_EQ(result->code, "NotFound");
      }
    }
  }
  EXPECT_EQ(refused, 1u);
  EXPECT_LT(frames, kCalls) << "answers that were ready together came in one frame";
  // Every call ran once.
  httplib::Client http("127.0.0.1", node.port());
  auto rows = json::parse(http.Get("/tables/testkit/items")->body);
  size_t packed = 0;
  for (const json& row : rows)
    if (row["name"].get<std::string>().starts_with("packed")) ++packed;
  EXPECT_EQ(packed, kCalls);

  // A good call, then bytes that are no message: the call runs, then Goodbye.
  std::vector<uint8_t> frame;
  append_to_frame(
      frame, ClientMessage{CallMessage{9000,
                                       "testkit",
                                       "add",
                                       {interstice::abi::to_bytes(std::make_tuple(
                                           std::string("before the bad bytes"), int32_t{1}))}}});
  frame.insert(frame.end(), {7, 0, 0, 0, 1});
  client.send_raw_binary(frame);
  // (Its answer may come before the Goodbye or not at all: none comes after.)
  bool goodbye = false;
  for (std::vector<ServerMessage> messages; !(messages = client.read_binary()).empty();)
    for (const ServerMessage& message : messages)
      if (auto* g = std::get_if<Goodbye>(&message.value))
        goodbye = g->reason.find("malformed") != std::string::npos;
  EXPECT_TRUE(goodbye);
  EXPECT_EQ(client.read(), "");
  auto after = json::parse(http.Get("/tables/testkit/items")->body);
  bool ran = false;
  for (const json& row : after) ran |= row["name"] == "before the bad bytes";
  EXPECT_TRUE(ran);
}

TEST(ClientProtocol, BadMessagesEndOnlyTheirConnection) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  for (int i = 0; i < 50; ++i) {
    Client client(node.port());
    client.send_json(i % 2 ? json{{"type", "dance"}, {"id", 1}} : json::array());
    json goodbye = client.read_json();
    EXPECT_EQ(goodbye["type"], "goodbye") << goodbye;
    EXPECT_EQ(client.read(), "");
  }
  Client fine(node.port());
  fine.send_json(call(1, "add", {"still", 1}));
  EXPECT_EQ(fine.read_json()["ok"], true);
  // A private table needs the operator key on the upgrade request.
  fine.send_json({{"type", "subscribe"}, {"id", 2}, {"query", "SELECT * FROM secrets"}});
  json refused = fine.read_json();
  EXPECT_EQ(refused["code"], "Forbidden") << refused;
  std::string key;
  std::ifstream(node.data_dir() / "operator.key") >> key;
  Client operator_client(node.port(), key);
  operator_client.send_json({{"type", "subscribe"}, {"id", 2}, {"query", "SELECT * FROM secrets"}});
  EXPECT_EQ(operator_client.read_json()["ok"], true);
}

// A message over the limit ends its connection with close code 1009 (too
// big), which the client reads even while it is still sending: the node
// drains the rest instead of resetting the connection.
TEST(ClientProtocol, MessagesOverTheLimitGetCloseCode1009) {
  NodeProcess node({"testkit"}, {"--http-max-call-body", "64"});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string big = call(1, "add", {std::string(1 << 20, 'x'), 1}).dump();
  for (int i = 0; i < 20; ++i) {
    Client client(node.port());
    client.send_text(big, i % 2 == 1);
    EXPECT_EQ(client.read(), "") << i;
    EXPECT_EQ(client.close_code(), 1009) << i;
  }
  // Just under the limit is fine.
  Client fine(node.port());
  fine.send_json(call(1, "add", {std::string(60 << 10, 'y'), 1}));
  EXPECT_EQ(fine.read_json()["ok"], true);
}

TEST(ClientProtocol, AClientThatDoesNotReadIsDisconnected) {
  NodeProcess node({"testkit"}, {"--client-max-queued", "64"});
  ASSERT_NE(node.port(), 0) << node.output();
  Client slow(node.port());
  slow.send_json({{"type", "subscribe"}, {"id", 1}, {"query", "SELECT * FROM items"}});
  httplib::Client http("127.0.0.1", node.port());
  // 40 MB of changes: far more than the socket buffers and the 64 KiB queue.
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(http.Post("/call/testkit/grow", "[40, 100000]", "application/json")->status, 200);
  std::vector<json> seen = slow.read_until([](const json& m) { return m["type"] == "goodbye"; });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back()["type"], "goodbye");
  EXPECT_NE(seen.back()["reason"].get<std::string>().find("too far behind"), std::string::npos);
  EXPECT_EQ(slow.read(), "");
  // The node goes on, for others.
  Client other(node.port());
  other.send_json(call(1, "add", {"after", 1}));
  EXPECT_EQ(other.read_json()["ok"], true);
}

// A client key pair, and the token the node issues for it.
struct Identity {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  std::string hex() const {
    char out[2 * sizeof public_key + 1];
    sodium_bin2hex(out, sizeof out, public_key, sizeof public_key);
    return out;
  }
  Identity() {
    EXPECT_GE(sodium_init(), 0);
    crypto_sign_keypair(public_key, secret_key);
  }
  std::string sign(const std::string& challenge) const {
    std::string message = "interstice client identity\n" + challenge;
    unsigned char signature[crypto_sign_BYTES];
    crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), secret_key);
    char out[2 * crypto_sign_BYTES + 1];
    sodium_bin2hex(out, sizeof out, signature, sizeof signature);
    return out;
  }
};

std::string challenge(httplib::Client& http) {
  auto res = http.Post("/v1/identity/challenge", "", "application/json");
  return res && res->status == 200 ? json::parse(res->body)["challenge"].get<std::string>() : "";
}

TEST(ClientIdentity, AProvenKeyGetsATokenAndReducersSeeIt) {
  NodeProcess node({"testkit"}, {"--anonymous-clients", "deny"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  Identity me;
  std::string c = challenge(http);
  ASSERT_EQ(c.size(), 64u);
  auto issued =
      http.Post("/v1/identity",
                json{{"public_key", me.hex()}, {"challenge", c}, {"signature", me.sign(c)}}.dump(),
                "application/json");
  ASSERT_EQ(issued->status, 200) << issued->body;
  std::string token = json::parse(issued->body)["token"];
  EXPECT_EQ(json::parse(issued->body)["identity"], "client:" + me.hex());
  // A challenge is good once; a signature by another key is refused.
  auto again =
      http.Post("/v1/identity",
                json{{"public_key", me.hex()}, {"challenge", c}, {"signature", me.sign(c)}}.dump(),
                "application/json");
  EXPECT_EQ(again->status, 401) << again->body;
  Identity other;
  std::string c2 = challenge(http);
  auto forged = http.Post(
      "/v1/identity",
      json{{"public_key", me.hex()}, {"challenge", c2}, {"signature", other.sign(c2)}}.dump(),
      "application/json");
  EXPECT_EQ(forged->status, 401) << forged->body;
  // Anonymous calls are refused here; the token's calls run as the client.
  EXPECT_EQ(http.Post("/call/testkit/whoami", "[]", "application/json")->status, 401);
  httplib::Headers with_token{{"Authorization", "Bearer " + token}};
  auto called = http.Post("/call/testkit/whoami", with_token, "[]", "application/json");
  ASSERT_EQ(called->status, 200) << called->body;
  EXPECT_TRUE(node.wait_for_output("caller 'client:" + me.hex() + "'")) << node.output();
  httplib::Headers forged_token{
      {"Authorization", "Bearer c1." + me.hex() + "." + std::string(64, '0')}};
  EXPECT_EQ(http.Post("/call/testkit/whoami", forged_token, "[]", "application/json")->status, 401);
  // Reads too need a token here (or the operator key).
  EXPECT_EQ(http.Post("/v1/sql", "SELECT * FROM items", "text/plain")->status, 401);
  EXPECT_EQ(http.Post("/v1/sql", with_token, "SELECT * FROM items", "text/plain")->status, 200);
  EXPECT_EQ(http.Get("/tables/testkit/items")->status, 401);
  // The CLI: a key file, a token, a call that runs as that client.
  std::string key_file = (node.data_dir() / "client.key").string();
  auto token_run =
      interstice::testing::run_command(std::string(INTERSTICE_CLI) + " identity " + node.address() +
                                       " --key-file " + key_file + " --json");
  ASSERT_EQ(token_run.exit_code, 0) << token_run.output;
  json cli_identity = json::parse(token_run.output);
  auto cli_call = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " call " +
                                                   node.address() + " testkit whoami --token " +
                                                   cli_identity["token"].get<std::string>());
  EXPECT_EQ(cli_call.exit_code, 0) << cli_call.output;
  EXPECT_TRUE(node.wait_for_output("caller '" + cli_identity["identity"].get<std::string>() + "'"))
      << node.output();
  auto again_run =
      interstice::testing::run_command(std::string(INTERSTICE_CLI) + " identity " + node.address() +
                                       " --key-file " + key_file + " --json");
  EXPECT_EQ(json::parse(again_run.output)["identity"], cli_identity["identity"]);  // same key
  // The WebSocket: refused without a token, served with it.
  Client anonymous(node.port());
  EXPECT_TRUE(anonymous.refused());
  Client identified(node.port(), token);
  ASSERT_FALSE(identified.refused());
  identified.send_json(call(1, "add", {"mine", 1}));
  EXPECT_EQ(identified.read_json()["ok"], true);
  // The token outlives a restart (it is keyed by the operator key).
  node.restart({"--anonymous-clients", "deny"});
  httplib::Client after("127.0.0.1", node.port());
  EXPECT_EQ(after.Post("/call/testkit/whoami", with_token, "[]", "application/json")->status, 200);
}

}  // namespace
