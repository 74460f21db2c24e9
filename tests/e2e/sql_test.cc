// SQL against a real node: POST /v1/sql and `interstice sql`, with and
// without an index, private tables, refusals, and many bad queries in a row.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>

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

}  // namespace
