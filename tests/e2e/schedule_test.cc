// Scheduled tables on a real node: rows fire at their times as logged
// transactions stamped with the time they were due, a schedule is data
// (cancelled by deleting its row, kept across restarts), firings missed
// while the node was down are made up once, and the log replays
// identically. The load event runs on every load.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::run_command;
using json = nlohmann::json;

json rows(NodeProcess& node, const std::string& table) {
  httplib::Client http("127.0.0.1", node.port());
  auto response = http.Get("/tables/ticker/" + table);
  return response && response->status == 200 ? json::parse(response->body) : json::array();
}

void call(NodeProcess& node, const std::string& reducer, const std::string& args) {
  httplib::Client http("127.0.0.1", node.port());
  auto response = http.Post("/call/ticker/" + reducer, args, "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
}

// The firings of `label`, in order.
std::vector<json> fired(NodeProcess& node, const std::string& label) {
  std::vector<json> out;
  for (const json& row : rows(node, "fired"))
    if (row["label"] == label) out.push_back(row);
  return out;
}

// Waits (at most 20 s) until `label` fired at least `count` times.
bool wait_for_firings(NodeProcess& node, const std::string& label, size_t count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fired(node, label).size() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Each test runs on the C++ ticker and on the Rust one (modules/rust/ticker).
class Schedules : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Languages, Schedules, ::testing::Values("ticker", "rust_ticker"));

TEST_P(Schedules, RowsFireAtTheirTimesAndACancelledOneStops) {
  NodeProcess node({GetParam()}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_NO_FATAL_FAILURE(call(node, "once", R"(["a", 200000])"));
  ASSERT_NO_FATAL_FAILURE(call(node, "every", R"(["b", 50000])"));
  ASSERT_NO_FATAL_FAILURE(call(node, "every", R"(["fail", 50000])"));
  ASSERT_TRUE(wait_for_firings(node, "b", 6)) << rows(node, "fired").dump();
  ASSERT_TRUE(wait_for_firings(node, "a", 1)) << rows(node, "fired").dump();

  // Each firing is stamped with the time it was due; a one-shot fires once
  // and its row goes, a repeating one moves on by its period.
  std::vector<json> b = fired(node, "b");
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i]["timestamp_us"], b[i]["due_us"]);
    if (i > 0) EXPECT_EQ(b[i]["due_us"].get<int64_t>() - b[i - 1]["due_us"].get<int64_t>(), 50000);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<json> a = fired(node, "a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]["timestamp_us"], a[0]["due_us"]);
  json ticks = rows(node, "ticks");
  ASSERT_EQ(ticks.size(), 2u) << ticks.dump();  // b and fail; a went when it fired
  // A firing that fails leaves no trace but its log line, and keeps failing:
  // the node goes on.
  EXPECT_TRUE(fired(node, "fail").empty());
  EXPECT_NE(node.output().find("the tick labelled fail always fails"), std::string::npos);

  ASSERT_NO_FATAL_FAILURE(call(node, "cancel", R"(["b"])"));
  size_t after_cancel = fired(node, "b").size();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(fired(node, "b").size(), after_cancel);

  node.stop();
  auto verified = run_command(std::string(INTERSTICE_CLI) + " replay " + node.data_dir().string() +
                              " --verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

TEST_P(Schedules, AScheduleSurvivesARestartAndMissedFiringsAreMadeUpOnce) {
  NodeProcess node({GetParam()}, {});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_EQ(rows(node, "loads").size(), 1u);
  ASSERT_NO_FATAL_FAILURE(call(node, "every", R"(["c", 100000])"));
  ASSERT_TRUE(wait_for_firings(node, "c", 2));
  node.stop();
  int64_t stopped = now_us();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // 15 periods missed
  int64_t restarting = now_us();
  node.restart();
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_EQ(rows(node, "loads").size(), 2u);  // load runs on every start
  size_t before = fired(node, "c").size();
  ASSERT_TRUE(wait_for_firings(node, "c", before + 3));

  // At most one firing is due inside the time the node was down: the
  // missed periods were made up by one, then the period goes on from now.
  std::vector<json> c = fired(node, "c");
  size_t during = 0;
  for (const json& row : c) {
    int64_t due = row["due_us"].get<int64_t>();
    if (due > stopped + 100000 && due < restarting) ++during;
  }
  EXPECT_LE(during, 1u) << json(c).dump();
  for (size_t i = 1; i < c.size(); ++i)
    EXPECT_GT(c[i]["due_us"].get<int64_t>(), c[i - 1]["due_us"].get<int64_t>());

  node.stop();
  auto verified = run_command(std::string(INTERSTICE_CLI) + " replay " + node.data_dir().string() +
                              " --verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

}  // namespace
