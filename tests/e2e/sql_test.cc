// SQL against a real node: POST /v1/sql and `interstice sql`, with and
// without an index, private tables, refusals, and many bad queries in a row.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using json = nlohmann::json;

interstice::testing::CommandResult run_cli(const std::string& args) {
  return interstice::testing::run_command(std::string(INTERSTICE_CLI) + " " + args);
}

class Sql : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(node_.port(), 0) << node_.output();
    for (int i = 1; i <= 40; ++i)
      ASSERT_EQ(client_
                    .Post("/call/testkit/add", fmt::format(R"(["n{}", {}])", i, i % 5 - 2),
                          "application/json")
                    ->status,
                200);
    ASSERT_EQ(
        client_.Post("/call/testkit/keep_secret", R"(["hidden"])", "application/json")->status,
        200);
  }
  httplib::Result sql(const std::string& query,
                      const httplib::Headers& headers = httplib::Headers{}) {
    return client_.Post("/v1/sql", headers, query, "text/plain");
  }

  NodeProcess node_{{"testkit"}};
  httplib::Client client_{"127.0.0.1", node_.port()};
};

TEST_F(Sql, SelectsWithAndWithoutAnIndex) {
  // By the primary key (an index), a secondary index, and none.
  auto by_id = sql("SELECT id, name FROM testkit.items WHERE id >= 38");
  ASSERT_EQ(by_id->status, 200) << by_id->body;
  EXPECT_EQ(
      json::parse(by_id->body),
      json::parse(R"([{"id":38,"name":"n38"},{"id":39,"name":"n39"},{"id":40,"name":"n40"}])"));
  auto by_score = sql("SELECT name FROM items WHERE score = -2 AND id < 20 ORDER BY id DESC");
  ASSERT_EQ(by_score->status, 200) << by_score->body;
  EXPECT_EQ(json::parse(by_score->body),
            json::parse(R"([{"name":"n15"},{"name":"n10"},{"name":"n5"}])"));
  // No index (an OR); ties in the order keep the read order (by id).
  auto scan = sql("SELECT * FROM items WHERE name = 'n3' OR score > 1 ORDER BY score DESC LIMIT 3");
  ASSERT_EQ(scan->status, 200) << scan->body;
  EXPECT_EQ(json::parse(scan->body), json::parse(R"([{"id":4,"name":"n4","score":2},
      {"id":9,"name":"n9","score":2},{"id":14,"name":"n14","score":2}])"));
  // The CLI prints one row per line.
  auto cli = run_cli("sql " + node_.address() + " \"SELECT id FROM items WHERE id <= 2\"");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_EQ(cli.output, "{\"id\":1}\n{\"id\":2}\n");
}

TEST_F(Sql, PrivateTablesNeedTheOperator) {
  auto anyone = sql("SELECT * FROM testkit.secrets");
  EXPECT_EQ(anyone->status, 403) << anyone->body;
  std::string key =
      run_cli("sql " + node_.address() + " \"SELECT text FROM secrets\" --operator-key " +
              (node_.data_dir() / "operator.key").string())
          .output;
  EXPECT_EQ(key, "{\"text\":\"hidden\"}\n");
}

TEST_F(Sql, BadQueriesGetClearErrorsAndTheNodeGoesOn) {
  struct Case {
    const char* query;
    int status;
    const char* says;
  };
  for (int round = 0; round < 50; ++round) {
    for (const Case& c : {Case{"SELEC 1", 400, "syntax error"},
                          Case{"SELECT * FROM items JOIN secrets ON true", 400, "join"},
                          Case{"SELECT * FROM nowhere", 404, "no loaded module has a table"},
                          Case{"SELECT * FROM testkit.nowhere", 404, "no table 'nowhere'"},
                          Case{"SELECT * FROM items WHERE id = 'x'", 400, "the column is u64"},
                          Case{"DROP TABLE items", 400, "DropStmt is not supported"}}) {
      auto r = sql(c.query);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, c.status) << c.query << ": " << r->body;
      EXPECT_NE(r->body.find(c.says), std::string::npos) << c.query << ": " << r->body;
    }
  }
  auto fine = sql("SELECT id FROM items WHERE id = 7");
  ASSERT_EQ(fine->status, 200);
  EXPECT_EQ(fine->body, R"([{"id":7}])");
  auto cli = run_cli("sql " + node_.address() + " \"SELECT nope FROM items\"");
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.output.find("no column 'nope'"), std::string::npos) << cli.output;
}

// `interstice subscribe` prints the subscription's rows, then its updates,
// one JSON line each (here until --count updates).
TEST_F(Sql, SubscribeFollowsChangesAsJsonLines) {
  std::atomic<bool> done = false;
  interstice::testing::CommandResult result;
  std::thread subscriber([&] {
    result = run_cli("subscribe " + node_.address() +
                     " \"SELECT * FROM items WHERE score > 100\" --count 2");
    done = true;
  });
  // Until it has seen two updates: calls that match, and some that do not.
  for (int i = 0; i < 400 && !done; ++i) {
    client_.Post("/call/testkit/add", fmt::format(R"(["s{}", {}])", i, i % 2 ? 101 : 1),
                 "application/json");
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  subscriber.join();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::vector<json> lines;
  size_t at = 0;
  while (at < result.output.size()) {
    size_t end = result.output.find('\n', at);
    lines.push_back(json::parse(result.output.substr(at, end - at)));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << result.output;
  EXPECT_EQ(lines[0]["type"], "subscribed");
  // (Calls made before it subscribed are among its rows.)
  for (const json& row : lines[0]["rows"]) EXPECT_GT(row["score"].get<int>(), 100);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(lines[i]["type"], "update");
    EXPECT_GT(lines[i]["changes"][0]["row"]["score"].get<int>(), 100);
  }
  EXPECT_LT(lines[1]["offset"].get<uint64_t>(), lines[2]["offset"].get<uint64_t>());
  auto refused = run_cli("subscribe " + node_.address() + " \"SELECT * FROM items LIMIT 1\"");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("ORDER BY and LIMIT"), std::string::npos) << refused.output;
}

}  // namespace
