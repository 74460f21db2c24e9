// Remote queries on real nodes: a module asks a query of a module on another
// node and gets the value in a callback, as a logged transaction. The peer
// answers through its views as that node (two askers get different values);
// a value of the wrong type, a reducer asked as a query and a node that
// never answers are failures the callback hears about ("timed out" after
// the timeout, also across a restart); the askers' logs replay identically.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using nlohmann::json;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

std::string post(NodeProcess& node, const std::string& path, const std::string& body) {
  httplib::Client http("127.0.0.1", node.port());
  auto r = http.Post(path, body, "application/json");
  return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
}

json get_json(NodeProcess& node, const std::string& path) {
  httplib::Client http("127.0.0.1", node.port());
  auto r = http.Get(path);
  return r && r->status == 200 ? json::parse(r->body) : json();
}

std::string node_id(NodeProcess& node) {
  return get_json(node, "/node")["id"].get<std::string>();
}

// The answer to `question` once it is no longer waiting (up to 15 s), or null.
json answer_to(NodeProcess& node, const std::string& question) {
  for (int i = 0; i < 600; ++i) {
    for (const json& row : get_json(node, "/tables/board_reader/answers"))
      if (row["question"] == question && row["error"] != "waiting") return row;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return json();
}

const std::string kOk = "{\"ok\":true}";

// `board_module`: the C++ board (board) or the Rust one (rust_board).
void answers_come_through_the_askers_view(const std::string& board_module) {
  NodeProcess board({board_module}, {"--peer-port", "0"});
  ASSERT_NE(board.peer_port(), 0) << board.output();
  std::vector<std::string> to_board = {"--peer-address",
                                       "Board=127.0.0.1:" + std::to_string(board.peer_port())};
  NodeProcess alice({"board_reader"}, to_board);
  NodeProcess bob({"board_reader"}, to_board);
  ASSERT_NE(alice.port(), 0) << alice.output();
  ASSERT_NE(bob.port(), 0) << bob.output();
  ASSERT_EQ(post(board, "/call/board/post", json{"everyone", "hi all"}.dump()), "200 " + kOk);
  ASSERT_EQ(post(board, "/call/board/post", json{node_id(alice), "to alice"}.dump()), "200 " + kOk);
  ASSERT_EQ(post(board, "/call/board/post", json{node_id(bob), "to bob"}.dump()), "200 " + kOk);

  ASSERT_EQ(post(alice, "/call/board_reader/ask", R"(["Board", 10000])"), "200 " + kOk);
  ASSERT_EQ(post(bob, "/call/board_reader/ask", R"(["Board", 10000])"), "200 " + kOk);
  json a = answer_to(alice, "Board texts"), b = answer_to(bob, "Board texts");
  EXPECT_EQ(a["ok"], true) << a << alice.output();
  EXPECT_EQ(a["texts"], json::parse(R"(["hi all", "to alice"])")) << a;
  EXPECT_EQ(b["ok"], true) << b << bob.output();
  EXPECT_EQ(b["texts"], json::parse(R"(["hi all", "to bob"])")) << b;

  // Failures, several in a row, and then a good question again.
  ASSERT_EQ(post(alice, "/call/board_reader/ask_wrong", "[]"), "200 " + kOk);
  json wrong = answer_to(alice, "how_many");
  EXPECT_EQ(wrong["ok"], false);
  EXPECT_NE(wrong["error"].get<std::string>().find("is not a vector<string>"), std::string::npos)
      << wrong;
  ASSERT_EQ(post(alice, "/call/board_reader/ask_reducer", "[]"), "200 " + kOk);
  json reducer = answer_to(alice, "post");
  EXPECT_EQ(reducer["ok"], false);
  EXPECT_NE(reducer["error"].get<std::string>().find("has no query 'post'"), std::string::npos)
      << reducer;
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(post(alice, "/call/board_reader/ask", R"(["Nowhere", 300])"), "200 " + kOk);
  json nowhere = answer_to(alice, "Nowhere texts");
  EXPECT_EQ(nowhere["ok"], false);
  EXPECT_NE(nowhere["error"].get<std::string>().find("timed out"), std::string::npos) << nowhere;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  // Out of range timeouts are refused at once (the reducer fails).
  EXPECT_EQ(post(alice, "/call/board_reader/ask", R"(["Board", 0])").substr(0, 3), "422");
  ASSERT_EQ(post(board, "/call/board/give", json{1, node_id(bob)}.dump()), "200 " + kOk);
  ASSERT_EQ(post(alice, "/call/board_reader/ask", R"(["Board", 10000])"), "200 " + kOk);
  json again;
  for (int i = 0; i < 600 && again.is_null(); ++i) {
    for (const json& row : get_json(alice, "/tables/board_reader/answers"))
      if (row["question"] == "Board texts" && row["error"] != "waiting" &&
          row["texts"] == json::parse(R"(["to alice"])"))
        again = row;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_FALSE(again.is_null()) << get_json(alice, "/tables/board_reader/answers");

  // A question pending across a restart times out once the node is back.
  ASSERT_EQ(post(bob, "/call/board_reader/ask", R"(["Nowhere", 1000])"), "200 " + kOk);
  bob.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  bob.restart(to_board);
  ASSERT_NE(bob.port(), 0) << bob.output();
  json late = answer_to(bob, "Nowhere texts");
  EXPECT_EQ(late["ok"], false) << late << bob.output();
  EXPECT_NE(late["error"].get<std::string>().find("timed out"), std::string::npos) << late;

  // The answers are in the askers' logs: their histories replay identically.
  for (NodeProcess* node : {&alice, &bob}) {
    node->stop();
    auto verified = run_command(cli() + " replay " + node->data_dir().string() + " --verify");
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
  }
}

TEST(RemoteQueries, AnswersComeToTheCallbackThroughTheAskersView) {
  answers_come_through_the_askers_view("board");
}

TEST(RemoteQueries, TheRustBoardAnswersTheSame) {
  answers_come_through_the_askers_view("rust_board");
}

}  // namespace
