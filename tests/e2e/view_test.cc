// Views on real nodes: board.notes shows each reader its own notes and the
// notes for everyone. Two peers (through remote subscriptions) see
// different rows; a note given to the other peer leaves the first one's
// view as a delete and enters the other's as an insert. Anonymous HTTP
// reads, SQL and queries read through the view; the operator reads it all.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using nlohmann::json;

std::string post(NodeProcess& node, const std::string& path, const std::string& body,
                 const std::string& bearer = "") {
  httplib::Client http("127.0.0.1", node.port());
  httplib::Headers headers;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  auto r = http.Post(path, headers, body, "application/json");
  return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
}

std::string get(NodeProcess& node, const std::string& path, const std::string& bearer = "") {
  httplib::Client http("127.0.0.1", node.port());
  httplib::Headers headers;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  auto r = http.Get(path, headers);
  return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
}

std::string node_id(NodeProcess& node) {
  std::string answer = get(node, "/node");
  return json::parse(answer.substr(4))["id"].get<std::string>();
}

// The texts of a reader node's mirror, in id order.
std::vector<std::string> mirrored(NodeProcess& node) {
  std::string answer = get(node, "/tables/board_reader/mirror");
  std::vector<std::string> texts;
  if (answer.substr(0, 3) != "200") return texts;
  for (const json& row : json::parse(answer.substr(4))) texts.push_back(row["text"]);
  return texts;
}

// Waits (up to 10 s) until the mirror holds `expected`.
bool mirror_becomes(NodeProcess& node, const std::vector<std::string>& expected) {
  for (int i = 0; i < 400; ++i) {
    if (mirrored(node) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

std::string read_key(NodeProcess& node) {
  std::ifstream in(node.data_dir() / "operator.key");
  std::string key;
  std::getline(in, key);
  return key;
}

// `board_module`: the C++ board (board) or the Rust one (rust_board).
void two_peers_see_different_rows(const std::string& board_module) {
  NodeProcess board({board_module}, {"--peer-port", "0"});
  ASSERT_NE(board.peer_port(), 0) << board.output();
  std::vector<std::string> to_board = {"--peer-address",
                                       "Board=127.0.0.1:" + std::to_string(board.peer_port())};
  // A note for everyone before anyone subscribes: it comes with the initial rows.
  ASSERT_EQ(post(board, "/call/board/post", R"(["everyone", "for all"])"), "200 {\"ok\":true}");

  NodeProcess alice({"board_reader"}, to_board);
  NodeProcess bob({"board_reader"}, to_board);
  ASSERT_NE(alice.port(), 0) << alice.output();
  ASSERT_NE(bob.port(), 0) << bob.output();
  std::string alice_id = node_id(alice), bob_id = node_id(bob);
  ASSERT_NE(alice_id, bob_id);
  ASSERT_TRUE(mirror_becomes(alice, {"for all"})) << alice.output();
  ASSERT_TRUE(mirror_becomes(bob, {"for all"})) << bob.output();

  ASSERT_EQ(post(board, "/call/board/post", json{alice_id, "a1"}.dump()), "200 {\"ok\":true}");
  ASSERT_EQ(post(board, "/call/board/post", json{bob_id, "b1"}.dump()), "200 {\"ok\":true}");
  ASSERT_EQ(post(board, "/call/board/post", json{"someone else", "hidden"}.dump()),
            "200 {\"ok\":true}");
  ASSERT_EQ(post(board, "/call/board/post", json{alice_id, "a2"}.dump()), "200 {\"ok\":true}");
  EXPECT_TRUE(mirror_becomes(alice, {"for all", "a1", "a2"})) << mirrored(alice).size();
  EXPECT_TRUE(mirror_becomes(bob, {"for all", "b1"})) << mirrored(bob).size();

  // Note 2 (a1) goes to bob: it leaves alice's view and enters bob's.
  ASSERT_EQ(post(board, "/call/board/give", json{2, bob_id}.dump()), "200 {\"ok\":true}");
  EXPECT_TRUE(mirror_becomes(alice, {"for all", "a2"})) << alice.output();
  EXPECT_TRUE(mirror_becomes(bob, {"for all", "a1", "b1"})) << bob.output();
  // And the note for everyone becomes nobody's: it leaves both.
  ASSERT_EQ(post(board, "/call/board/give", json{1, "nobody"}.dump()), "200 {\"ok\":true}");
  EXPECT_TRUE(mirror_becomes(alice, {"a2"})) << alice.output();
  EXPECT_TRUE(mirror_becomes(bob, {"a1", "b1"})) << bob.output();
  ASSERT_EQ(post(board, "/call/board/give", json{3, "everyone"}.dump()), "200 {\"ok\":true}");
  EXPECT_TRUE(mirror_becomes(alice, {"b1", "a2"})) << alice.output();
  EXPECT_TRUE(mirror_becomes(bob, {"a1", "b1"})) << bob.output();

  // An anonymous client reads through the view: pages, SQL and queries.
  auto texts_of = [](const std::string& answer) {
    std::vector<std::string> texts;
    for (const json& row : json::parse(answer.substr(4))) texts.push_back(row["text"]);
    return texts;
  };
  EXPECT_EQ(texts_of(get(board, "/tables/board/notes")), std::vector<std::string>{"b1"});
  EXPECT_EQ(texts_of(get(board, "/tables/board/notes?limit=1")), std::vector<std::string>{"b1"});
  std::string sql = post(board, "/v1/sql", "SELECT text FROM notes WHERE id > 1");
  ASSERT_EQ(sql.substr(0, 3), "200") << sql;
  EXPECT_EQ(sql, R"(200 [{"text":"b1"}])");
  EXPECT_EQ(post(board, "/query/board/texts", "[]"), R"(200 ["b1"])");
  EXPECT_EQ(post(board, "/query/board/how_many", "[]"), "200 1");
  // The operator reads every row.
  std::string key = read_key(board);
  EXPECT_EQ(texts_of(get(board, "/tables/board/notes", key)),
            (std::vector<std::string>{"for all", "a1", "b1", "hidden", "a2"}));
  EXPECT_EQ(post(board, "/query/board/how_many", "[]", key), "200 5");

  // After a restart, each peer resumes where it was and still sees its own.
  bob.restart(to_board);
  ASSERT_NE(bob.port(), 0) << bob.output();
  ASSERT_EQ(post(board, "/call/board/give", json{5, bob_id}.dump()), "200 {\"ok\":true}");
  EXPECT_TRUE(mirror_becomes(bob, {"a1", "b1", "a2"})) << bob.output();
  EXPECT_TRUE(mirror_becomes(alice, {"b1"})) << alice.output();
}

TEST(Views, TwoPeersSeeDifferentRowsAndARowLeavesAView) {
  two_peers_see_different_rows("board");
}

TEST(Views, TheRustBoardShowsTheSameViews) {
  two_peers_see_different_rows("rust_board");
}

// A view that does not fit its table refuses the module, with the reason,
// at publish (several times) and at start; the node goes on serving.
TEST(Views, AViewThatDoesNotFitItsTableIsRefused) {
  NodeProcess node({"board"});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string key_file = (node.data_dir() / "operator.key").string();
  std::string wasm = std::string(INTERSTICE_MODULE_DIR) + "/bad_view.wasm";
  for (int i = 0; i < 3; ++i) {
    auto refused = interstice::testing::run_command(std::string(INTERSTICE_CLI) +
                                                    " publish --addr " + node.address() +
                                                    " --operator-key " + key_file + " " + wasm);
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find("the view of table entries"), std::string::npos)
        << refused.output;
  }
  EXPECT_EQ(post(node, "/call/board/post", R"(["everyone", "still here"])"), "200 {\"ok\":true}");
  EXPECT_EQ(post(node, "/query/board/texts", "[]"), R"(200 ["still here"])");
  // In the modules directory at start: not loaded, with the reason.
  NodeProcess other({"board", "bad_view"});
  ASSERT_NE(other.port(), 0) << other.output();
  EXPECT_TRUE(other.wait_for_output("the view of table entries")) << other.output();
  EXPECT_EQ(post(other, "/call/bad_view/add", "[1]").substr(0, 3), "404");
}

}  // namespace
