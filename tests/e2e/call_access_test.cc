// Who may call what, through a real node: init, subscription handlers and
// callbacks only by the node; internal reducers only by the node's modules;
// HTTP clients with an identity of their own.
#include <gtest/gtest.h>
#include <httplib.h>

#include "abi/serialize.h"
#include "net/identity.h"
#include "net/peer_client.h"
#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::TempDir;

struct Refusal {
  std::string reducer;
  std::string body;
  std::string why;
};

TEST(CallAccess, HttpClientsCannotCallWhatOnlyTheNodeCalls) {
  NodeProcess node({"hello", "testkit", "caller"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  const Refusal refusals[] = {
      {"hello/init", "[]", "hello.init is a subscription handler"},
      {"hello/on_greeting_insert", R"([{"id": 7, "greeting": "forged", "custom": {"val": 0}}])",
       "hello.on_greeting_insert is a subscription handler"},
      {"testkit/on_delete", R"([{"id": 1, "name": "forged", "score": 0}])",
       "testkit.on_delete is a subscription handler"},
      {"caller/on_hello_result", R"([1, true, ""])",
       "caller.on_hello_result is a remote call's callback"},
      {"testkit/internal_add", R"(["sneaky"])", "testkit.internal_add is internal"},
  };
  for (int round = 0; round < 20; ++round)
    for (const Refusal& r : refusals) {
      auto res = client.Post("/call/" + r.reducer, r.body, "application/json");
      ASSERT_TRUE(res) << r.reducer;
      EXPECT_EQ(res->status, 403) << r.reducer << ": " << res->body;
      EXPECT_NE(res->body.find(r.why), std::string::npos) << res->body;
    }
  std::string log = node.output();
  EXPECT_EQ(log.find("forged"), std::string::npos) << "a forged event ran:\n" << log;
  EXPECT_EQ(log.find("Hello world !", log.find("Hello world !") + 1), std::string::npos)
      << "init ran twice:\n"
      << log;

  // The node's own modules may call the internal reducer, but not handlers.
  auto internal = client.Post("/call/testkit/call_internal", R"(["inside"])", "application/json");
  ASSERT_TRUE(internal);
  EXPECT_EQ(internal->status, 200) << internal->body;
  auto handler = client.Post("/call/testkit/call_handler", "[]", "application/json");
  ASSERT_TRUE(handler);
  EXPECT_EQ(handler->status, 200) << handler->body;
  EXPECT_TRUE(node.wait_for_output("call internal_add status 0"));
  EXPECT_TRUE(node.wait_for_output("call on_delete status 13"));
  auto rows = client.Get("/tables/testkit/items");
  ASSERT_TRUE(rows);
  EXPECT_NE(rows->body.find("\"inside\""), std::string::npos) << rows->body;
  EXPECT_EQ(rows->body.find("\"sneaky\""), std::string::npos) << rows->body;
  EXPECT_EQ(node.stop(), 0);
}

TEST(CallAccess, HttpClientsHaveTheirOwnIdentity) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto res = client.Post("/call/testkit/whoami", "[]", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(node.wait_for_output("caller 'client:anonymous'")) << node.output();
  // A module's call sees the calling module.
  res = client.Post("/call/testkit/call_whoami", "[]", "application/json");
  ASSERT_TRUE(res);
  EXPECT_TRUE(node.wait_for_output("caller 'testkit'")) << node.output();
  EXPECT_EQ(node.stop(), 0);
}

TEST(CallAccess, PeersCannotCallWhatOnlyTheNodeCalls) {
  NodeProcess node({"hello", "testkit"}, {"--peer-port", "0"});
  ASSERT_NE(node.port(), 0) << node.output();
  TempDir client_dir;
  auto identity = std::move(interstice::net::load_or_create_identity(interstice::base::Env::posix(),
                                                                     client_dir.path()))
                      .value();
  auto client =
      interstice::net::PeerClient::connect("127.0.0.1", node.peer_port(), identity, nullptr);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto init = (*client)->call(1, "hello", "init", interstice::abi::to_bytes(std::make_tuple()));
  ASSERT_TRUE(init.ok()) << init.error().message;
  EXPECT_FALSE(init->ok);
  EXPECT_NE(init->error.find("hello.init is a subscription handler"), std::string::npos)
      << init->error;
  auto internal = (*client)->call(2, "testkit", "internal_add",
                                  interstice::abi::to_bytes(std::make_tuple(std::string("p"))));
  ASSERT_TRUE(internal.ok()) << internal.error().message;
  EXPECT_FALSE(internal->ok);
  EXPECT_NE(internal->error.find("testkit.internal_add is internal"), std::string::npos)
      << internal->error;
  EXPECT_EQ(node.output().find("Hello world !", node.output().find("Hello world !") + 1),
            std::string::npos);
  EXPECT_EQ(node.stop(), 0);
}

TEST(CallAccess, PrivateTablesAreReadByTheOperatorOnly) {
  NodeProcess node({"testkit"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client client("127.0.0.1", node.port());
  auto kept =
      client.Post("/call/testkit/keep_secret", R"(["the code is 1234"])", "application/json");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, 200) << kept->body;
  for (const char* key : {"", "Bearer nope"}) {
    httplib::Headers headers;
    if (*key) headers.emplace("Authorization", key);
    auto refused = client.Get("/tables/testkit/secrets", headers);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << refused->body;
    EXPECT_NE(refused->body.find("table 'testkit.secrets' is private"), std::string::npos);
    EXPECT_EQ(refused->body.find("1234"), std::string::npos) << refused->body;
  }
  std::string key_file = (node.data_dir() / "operator.key").string();
  auto refused_cli = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " query " +
                                                      node.address() + " testkit secrets");
  EXPECT_EQ(refused_cli.exit_code, 1) << refused_cli.output;
  auto cli =
      interstice::testing::run_command(std::string(INTERSTICE_CLI) + " query " + node.address() +
                                       " testkit secrets --operator-key " + key_file);
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_EQ(cli.output, "{\"id\":1,\"text\":\"the code is 1234\"}\n");
  // A public table needs no key.
  auto items = client.Get("/tables/testkit/items");
  ASSERT_TRUE(items);
  EXPECT_EQ(items->status, 200) << items->body;
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace
