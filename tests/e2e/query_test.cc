// Queries on a real node: a module asks another's query inside its own
// transaction and uses the value; clients ask through HTTP and the CLI; a
// query cannot write, is not a reducer, and leaves nothing in the log; the
// asking transactions replay identically.
#include <gtest/gtest.h>

#include <httplib.h>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::run_command;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

TEST(Queries, AModuleAsksAnotherAndClientsAskToo) {
  NodeProcess node({"counter", "asker"}, {"--executors", "2"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  auto post = [&](const std::string& path, const std::string& body) {
    auto r = http.Post(path, body, "application/json");
    return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
  };
  for (const char* label : {"a", "b", "a", "a"})
    ASSERT_EQ(post("/call/counter/bump", std::string("[\"") + label + "\"]").substr(0, 3), "200");

  // Inside a transaction, with the value used at once.
  ASSERT_EQ(post("/call/asker/ask", R"(["a"])").substr(0, 3), "200");
  ASSERT_EQ(post("/call/asker/ask", R"(["z"])").substr(0, 3), "200");
  ASSERT_EQ(post("/call/asker/ask_sneaky", "[]").substr(0, 3), "200");
  auto answers = http.Get("/tables/asker/answers");
  ASSERT_TRUE(answers);
  EXPECT_EQ(answers->body,
            R"([{"id":1,"question":"count_of a","answer":"3"},)"
            R"({"id":2,"question":"count_of z","answer":"0"},)"
            R"({"id":3,"question":"sneaky","answer":"status 24"}])");  // QueryFailed
  EXPECT_NE(node.output().find("the insert was refused with status 23"), std::string::npos)
      << node.output();  // ReadOnly

  // Clients: HTTP and the CLI, any result type.
  EXPECT_EQ(post("/query/counter/count_of", R"(["a"])"), "200 3");
  EXPECT_EQ(post("/query/counter/top", "[1]"), R"(200 [{"label":"a","count":3}])");
  EXPECT_EQ(post("/query/counter/count_of", "[7]").substr(0, 3), "400");
  EXPECT_EQ(post("/query/counter/nothing", "[]").substr(0, 3), "404");
  EXPECT_EQ(post("/query/counter/sneaky", "[]").substr(0, 3), "422");  // as a failed call
  // A query is not a reducer, and a reducer is not a query.
  EXPECT_EQ(post("/call/counter/count_of", R"(["a"])").substr(0, 3), "403");
  EXPECT_EQ(post("/query/counter/bump", R"(["a"])").substr(0, 3), "404");
  auto asked = run_command("(" + cli() + " query-call " + node.address() +
                           " counter top '[2]' 2>/dev/null)");
  EXPECT_EQ(asked.exit_code, 0);
  EXPECT_EQ(asked.output, "[{\"label\":\"a\",\"count\":3},{\"label\":\"b\",\"count\":1}]\n");

  // Queries leave nothing in the log; the asking transactions replay.
  node.stop();
  auto log = run_command(cli() + " log inspect " + node.data_dir().string() + " --module counter");
  EXPECT_EQ(log.output.find("count_of"), std::string::npos) << log.output;
  auto verified = run_command(cli() + " replay " + node.data_dir().string() + " --verify 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

}  // namespace
