// Metrics and traces of a real node, through its HTTP interface and the CLI:
// GET /metrics counts calls, refusals and failures (many in a row) and the
// log's fsyncs; `interstice trace` records a node's reducers, commits, log
// writes and fsyncs and its outside calls; `replay --trace` records a
// replayed history and shows what the modules log as they run again.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::run_command;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

int post(NodeProcess& node, const std::string& path, const std::string& body) {
  httplib::Client http("127.0.0.1", node.port());
  auto response = http.Post(path, body, "application/json");
  return response ? response->status : -1;
}

// The samples of Prometheus' text format, by "name{labels}" as written.
std::map<std::string, double> scrape(NodeProcess& node) {
  httplib::Client http("127.0.0.1", node.port());
  auto response = http.Get("/metrics");
  std::map<std::string, double> samples;
  if (!response || response->status != 200) return samples;
  EXPECT_NE(response->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  std::istringstream in(response->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in, nullptr, false);
}

// The complete spans ("X") of a trace, and the names of its threads by id.
std::vector<nlohmann::json> spans_of(const nlohmann::json& trace, const std::string& category) {
  std::vector<nlohmann::json> found;
  for (const auto& e : trace["traceEvents"])
    if (e.value("cat", "") == category) found.push_back(e);
  return found;
}

std::string thread_name(const nlohmann::json& trace, int tid) {
  for (const auto& e : trace["traceEvents"])
    if (e.value("name", "") == "thread_name" && e.value("tid", -1) == tid) return e["args"]["name"];
  return "";
}

const std::string kTransfer = "/call/bank/transfer";

// `interstice trace` of `node` for `seconds` into `file`, on a thread of its
// own (join it before reading the file).
std::thread record_trace(NodeProcess& node, std::filesystem::path file, int seconds) {
  return std::thread([&node, file = std::move(file), seconds] {
    run_command(fmt::format("({} trace {} --seconds {} -o {} --operator-key {} 2>/dev/null)", cli(),
                            node.address(), seconds, file.string(),
                            (node.data_dir() / "operator.key").string()));
  });
}

TEST(Metrics, CountCallsRefusalsAndFailuresManyInARow) {
  NodeProcess node({"bank"});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_EQ(post(node, "/call/bank/open_accounts", "[1, 10, 100]"), 200);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post(node, kTransfer, "[1, 2, 1]"), 200);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(post(node, kTransfer, "[3, 3, 1]"), 422);           // the reducer fails
    EXPECT_EQ(post(node, "/call/bank/steal", "[1]"), 404);        // no such reducer
    EXPECT_EQ(post(node, kTransfer, R"(["three", 3, 1])"), 400);  // bad arguments
  }
  ASSERT_EQ(post(node, kTransfer, "[2, 1, 1]"), 200);  // the module goes on as before

  auto m = scrape(node);
  const std::string transfer = R"(module="bank",reducer="transfer")";
  EXPECT_EQ(m["interstice_reducer_calls_total{" + transfer + R"(,outcome="ok"})"], 6);
  EXPECT_EQ(m["interstice_reducer_calls_total{" + transfer + R"(,outcome="failed"})"], 25);
  EXPECT_EQ(m["interstice_reducer_duration_seconds_count{" + transfer + "}"], 31);
  EXPECT_EQ(m["interstice_reducer_duration_seconds_bucket{" + transfer + R"(,le="+Inf"})"], 31);
  EXPECT_GT(m["interstice_reducer_fuel_total{" + transfer + "}"], 0);
  EXPECT_EQ(
      m[R"(interstice_reducer_calls_total{module="bank",reducer="open_accounts",outcome="ok"})"],
      1);
  EXPECT_EQ(m[R"(interstice_outside_calls_total{outcome="ok"})"], 7);
  EXPECT_EQ(m[R"(interstice_outside_calls_total{outcome="failed"})"], 25);
  EXPECT_EQ(m[R"(interstice_outside_calls_total{outcome="refused"})"], 50);
  EXPECT_EQ(m["interstice_outside_call_duration_seconds_count"], 82);
  // Seven transactions were logged and fsync'd (group commit: in batches).
  EXPECT_GE(m["interstice_log_last_offset"], 7);
  EXPECT_EQ(m["interstice_log_durable_offset"], m["interstice_log_last_offset"]);
  EXPECT_GE(m["interstice_log_fsync_batch_records_sum"], 7);
  EXPECT_GE(m["interstice_log_fsync_duration_seconds_count"], 1);
  EXPECT_GT(m["interstice_log_written_bytes_total"], 0);
  EXPECT_GE(m[R"(interstice_module_memory_bytes{module="bank",kind="linear"})"], 65536);
  EXPECT_GT(m[R"(interstice_module_memory_bytes{module="bank",kind="tables"})"], 0);
  EXPECT_EQ(m[R"(interstice_executor_queue_depth{executor="0"})"], 0);
  EXPECT_EQ(m["interstice_peers_connected"], 0);
  EXPECT_EQ(m["interstice_client_subscriptions"], 0);
}

TEST(Trace, RecordsReducersCommitsFsyncsAndCalls) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  interstice::testing::TempDir dir;
  auto file = dir.path() / "trace.json";
  std::string key = (node.data_dir() / "operator.key").string();
  // A client follows the greetings: its updates are traced as deliveries.
  std::thread subscriber([&] {
    run_command(cli() + " subscribe " + node.address() +
                " \"SELECT * FROM hello.greetings\" --count 3 >/dev/null 2>&1");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::atomic<bool> done{false};
  std::string printed;
  std::thread recorder([&] {
    printed = run_command("(" + cli() + " trace " + node.address() + " --seconds 2 -o " +
                          file.string() + " --operator-key " + key + " 2>/dev/null)")
                  .output;
    done = true;
  });
  // Calls keep coming while it records; a second trace meanwhile is refused
  // (asked once the command has had time to start its own).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  httplib::Client http("127.0.0.1", node.port());
  bool refused_second = false;
  int calls = 0;
  while (!done) {
    if (post(node, "/call/hello/hello", R"(["Ann"])") == 200) ++calls;
    if (!refused_second) {
      auto second = http.Get("/trace?seconds=1", {{"Authorization", "Bearer " + [&] {
                                                     std::ifstream in(key);
                                                     std::string k;
                                                     std::getline(in, k);
                                                     return k;
                                                   }()}});
      refused_second = second && second->status == 409;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  recorder.join();
  subscriber.join();
  EXPECT_TRUE(refused_second);
  EXPECT_NE(printed.find("spans to " + file.string()), std::string::npos) << printed;

  nlohmann::json trace = read_json(file);
  ASSERT_TRUE(trace.is_object());
  auto reducers = spans_of(trace, "reducer");
  size_t hello = 0;
  for (const auto& r : reducers)
    if (r["name"] == "hello.hello") {
      ++hello;
      EXPECT_EQ(r["ph"], "X");
      EXPECT_GT(r["args"]["fuel"].get<uint64_t>(), 0u);
      EXPECT_EQ(r["args"]["rows_changed"], 1);
      EXPECT_EQ(r["args"]["trigger"], "call");
      EXPECT_EQ(thread_name(trace, r["tid"]), "executor");
    }
  EXPECT_GE(hello, 3u);
  EXPECT_LE(hello, static_cast<size_t>(calls));
  // Each greeting's insert is a span inside its reducer's, on its track.
  size_t inserts_inside = 0;
  auto tables = spans_of(trace, "table");
  for (const auto& t : tables) {
    EXPECT_EQ(t["name"], "insert greetings");
    for (const auto& r : reducers)
      if (r["name"] == "hello.hello" && r["tid"] == t["tid"] && r["ts"] <= t["ts"] &&
          t["ts"].get<double>() + t["dur"].get<double>() <=
              r["ts"].get<double>() + r["dur"].get<double>() + 0.001)
        ++inserts_inside;
  }
  // (A call running as the trace starts or stops may lose its insert's span.)
  EXPECT_EQ(inserts_inside, tables.size());
  EXPECT_GE(tables.size() + 2, hello);
  EXPECT_GE(tables.size(), 1u);
  // The greeting's insert triggered on_greeting_insert, traced too.
  bool triggered = false;
  for (const auto& r : reducers)
    triggered |=
        r["name"] == "hello.on_greeting_insert" && r["args"]["trigger"] == "hello.greetings.insert";
  EXPECT_TRUE(triggered);
  size_t commits = 0, fsyncs = 0;
  for (const auto& s : spans_of(trace, "log")) {
    if (s["name"] == "commit") ++commits;
    if (s["name"] == "fsync") {
      ++fsyncs;
      EXPECT_EQ(thread_name(trace, s["tid"]), "log-writer");
      EXPECT_GE(s["args"]["records"].get<uint64_t>(), 1u);
    }
  }
  EXPECT_GE(commits, 2 * hello);
  EXPECT_GE(fsyncs, 1u);
  auto deliveries = spans_of(trace, "subscription");
  EXPECT_GE(deliveries.size(), 1u);
  for (const auto& d : deliveries) {
    EXPECT_EQ(d["name"], "deliver");
    EXPECT_EQ(d["args"]["subscriptions"], 1);
  }
  // Each outside call: a begin and an end with the same id, in order.
  std::map<uint64_t, std::pair<double, double>> calls_seen;
  for (const auto& c : spans_of(trace, "call")) {
    EXPECT_EQ(c["name"], "hello.hello");
    auto& [begin, end] = calls_seen[c["id"].get<uint64_t>()];
    (c["ph"] == "b" ? begin : end) = c["ts"].get<double>();
  }
  EXPECT_GE(calls_seen.size(), 3u);
  for (const auto& [id, times] : calls_seen) EXPECT_LE(times.first, times.second) << id;
}

TEST(Metrics, CountAPeersCallAndItsLinkToThePeer) {
  NodeProcess hello_node({"hello"}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.port(), 0) << hello_node.output();
  std::string address = "127.0.0.1:" + std::to_string(hello_node.peer_port());
  NodeProcess caller_node({"caller"}, {"--peer-address", "MyNode=" + address});
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  ASSERT_TRUE(caller_node.wait_for_output("hello on MyNode answered: ok")) << caller_node.output();
  auto on_hello = scrape(hello_node);
  EXPECT_EQ(on_hello[R"(interstice_peer_calls_total{outcome="ok"})"], 1);
  EXPECT_EQ(on_hello["interstice_peer_call_duration_seconds_count"], 1);
  EXPECT_EQ(on_hello["interstice_peers_connected"], 1);
  EXPECT_EQ(
      on_hello[R"(interstice_reducer_calls_total{module="hello",reducer="hello",outcome="ok"})"],
      1);
  auto on_caller = scrape(caller_node);
  EXPECT_EQ(on_caller[R"(interstice_links{state="connected"})"], 1);
  EXPECT_EQ(on_caller[R"(interstice_links{state="down"})"], 0);
  EXPECT_EQ(on_caller["interstice_link_queued_calls"], 0);
}

TEST(Trace, ShowsPrivilegedHostCallsInsideTheirReducer) {
  NodeProcess node({"file_user"}, {"--grant", "file"});
  ASSERT_NE(node.port(), 0) << node.output();
  interstice::testing::TempDir dir;
  auto file = dir.path() / "trace.json";
  std::thread recorder = record_trace(node, file, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(post(node, "/call/file_user/save", R"(["notes", "hello"])"), 200);
  recorder.join();
  nlohmann::json trace = read_json(file);
  ASSERT_TRUE(trace.is_object());
  std::optional<nlohmann::json> save;
  for (const auto& r : spans_of(trace, "reducer"))
    if (r["name"] == "file_user.save") save = r;
  ASSERT_TRUE(save) << trace.dump();
  EXPECT_GE((*save)["args"]["host_calls"].get<uint64_t>(), 1u);
  auto hosts = spans_of(trace, "host");
  ASSERT_GE(hosts.size(), 1u) << trace.dump();
  for (const auto& h : hosts) {
    EXPECT_EQ(h["name"], "File");
    EXPECT_EQ(h["tid"], (*save)["tid"]);  // on the reducer's track, within its span
    EXPECT_GE(h["ts"].get<double>(), (*save)["ts"].get<double>());
    EXPECT_LE(h["ts"].get<double>() + h["dur"].get<double>(),
              (*save)["ts"].get<double>() + (*save)["dur"].get<double>() + 0.001);
  }
}

// Remote queries asked while both nodes record: the asker's trace shows the
// sends to the board's node and the callbacks, the board's the peer's
// queries.
TEST(Trace, ShowsSendsToAnotherNodeAndThePeersQueries) {
  NodeProcess board({"board"}, {"--peer-port", "0"});
  ASSERT_NE(board.peer_port(), 0) << board.output();
  std::string board_address = "127.0.0.1:" + std::to_string(board.peer_port());
  NodeProcess reader({"board_reader"}, {"--peer-address", "Board=" + board_address});
  ASSERT_NE(reader.port(), 0) << reader.output();
  ASSERT_EQ(post(board, "/call/board/post", R"(["everyone", "hi all"])"), 200);
  interstice::testing::TempDir dir;
  std::thread on_reader = record_trace(reader, dir.path() / "reader.json", 2);
  std::thread on_board = record_trace(board, dir.path() / "board.json", 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(post(reader, "/call/board_reader/ask", R"(["Board", 5000])"), 200);
  on_reader.join();
  on_board.join();

  nlohmann::json reader_trace = read_json(dir.path() / "reader.json");
  ASSERT_TRUE(reader_trace.is_object());
  auto sends = spans_of(reader_trace, "network");
  ASSERT_GE(sends.size(), 1u) << reader_trace.dump();
  size_t messages = 0;
  for (const auto& s : sends) {
    EXPECT_EQ(s["name"], "send to " + board_address);
    EXPECT_EQ(s["args"]["ok"], true);
    messages += s["args"]["messages"].get<size_t>();
  }
  EXPECT_GE(messages, 3u);  // the three questions (batched as they come)
  size_t answered = 0;      // their answers, each a callback transaction
  for (const auto& r : spans_of(reader_trace, "reducer"))
    answered += r["name"] == "board_reader.answered";
  EXPECT_EQ(answered, 3u);

  nlohmann::json board_trace = read_json(dir.path() / "board.json");
  ASSERT_TRUE(board_trace.is_object());
  size_t peer_calls = 0;
  for (const auto& c : spans_of(board_trace, "call"))
    if (c["name"] == "peer query: board.texts" && c["ph"] == "b") ++peer_calls;
  EXPECT_EQ(peer_calls, 3u) << board_trace.dump();
  auto counted = scrape(board);
  EXPECT_EQ(counted[R"(interstice_peer_queries_total{outcome="ok"})"], 3);
  EXPECT_EQ(counted["interstice_peer_query_duration_seconds_count"], 3);
  EXPECT_EQ(counted[R"(interstice_peer_calls_total{outcome="ok"})"], 0);
}

TEST(Trace, NeedsTheOperatorKeyAndASensibleDuration) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  httplib::Client http("127.0.0.1", node.port());
  for (int i = 0; i < 3; ++i) {
    auto anonymous = http.Get("/trace?seconds=1");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
    auto wrong = http.Get("/trace?seconds=1", {{"Authorization", "Bearer nope"}});
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
  }
  std::ifstream in(node.data_dir() / "operator.key");
  std::string key;
  std::getline(in, key);
  for (const char* bad : {"0", "61", "x", "-1"}) {
    auto answer =
        http.Get(std::string("/trace?seconds=") + bad, {{"Authorization", "Bearer " + key}});
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 400) << bad;
  }
  EXPECT_EQ(post(node, "/call/hello/hello", R"(["Ann"])"), 200);
}

TEST(Trace, ReplayTracesTheHistoryAndShowsModuleLogs) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  for (const char* name : {"Ann", "Bob"})
    ASSERT_EQ(post(node, "/call/hello/hello", fmt::format(R"(["{}"])", name)), 200);
  node.stop();
  interstice::testing::TempDir dir;
  auto file = dir.path() / "replay.json";
  auto replay = run_command(cli() + " replay " + node.data_dir().string() + " --trace " +
                            file.string() + " 2>&1");
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_NE(replay.output.find("every effect matches the log"), std::string::npos);
  // What the modules logged, with the offset of the transaction.
  EXPECT_NE(replay.output.find("] hello.on_greeting_insert info: Inserted greeting"),
            std::string::npos)
      << replay.output;
  EXPECT_NE(replay.output.find("hello.init info: Hello world !"), std::string::npos);
  nlohmann::json trace = read_json(file);
  ASSERT_TRUE(trace.is_object());
  std::vector<std::string> names;
  for (const auto& r : spans_of(trace, "reducer")) {
    names.push_back(r["name"]);
    EXPECT_GE(r["args"]["offset"].get<uint64_t>(), 1u);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"hello.init", "hello.hello", "hello.on_greeting_insert",
                                      "hello.hello", "hello.on_greeting_insert"}));
  std::vector<std::string> operations;  // each greeting's insert, timed in the replay too
  for (const auto& t : spans_of(trace, "table")) operations.push_back(t["name"]);
  EXPECT_EQ(operations, (std::vector<std::string>{"insert greetings", "insert greetings"}));
  auto quiet =
      run_command(cli() + " replay " + node.data_dir().string() + " --verify --quiet 2>&1");
  EXPECT_EQ(quiet.output.find("Inserted greeting"), std::string::npos) << quiet.output;
}

TEST(Dashboard, IsServedAndItsGraphIsTheOperators) {
  NodeProcess node({"hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_EQ(post(node, "/call/hello/hello", R"(["Ann"])"), 200);
  httplib::Client http("127.0.0.1", node.port());
  auto root = http.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->get_header_value("Location"), "/dashboard/");
  auto index = http.Get("/dashboard/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("<title>Interstice"), std::string::npos);
  for (const char* missing : {"/dashboard/nope.js", "/dashboard/..", "/dashboard/operator.key"}) {
    auto none = http.Get(missing);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 404) << missing;
  }
  for (int i = 0; i < 3; ++i) {
    auto refused = http.Get("/graph.svg");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
  }
  std::ifstream in(node.data_dir() / "operator.key");
  std::string key;
  std::getline(in, key);
  auto graph = http.Get("/graph.svg", {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(graph);
  ASSERT_EQ(graph->status, 200) << graph->body;
  EXPECT_EQ(graph->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(graph->body.find("<svg"), std::string::npos);
  EXPECT_NE(graph->body.find("on_greeting_insert"), std::string::npos);
  EXPECT_EQ(post(node, "/call/hello/hello", R"(["Bob"])"), 200);
}

TEST(ReplayDebugger, DiffsTheTablesBetweenTwoOffsetsAndExplainsATransaction) {
  NodeProcess node({"bank", "hello"});
  ASSERT_NE(node.port(), 0) << node.output();
  ASSERT_EQ(post(node, "/call/bank/open_accounts", "[1, 3, 100]"), 200);
  ASSERT_EQ(post(node, kTransfer, "[1, 2, 30]"), 200);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post(node, kTransfer, "[1, 2, 1000]"), 422);  // not logged
  ASSERT_EQ(post(node, kTransfer, "[2, 3, 5]"), 200);
  ASSERT_EQ(post(node, "/call/hello/hello", R"(["Ann"])"), 200);
  node.stop();
  std::string dir = node.data_dir().string();
  // The offsets of the transactions, in log order (the start and hello's
  // init come first).
  auto inspect = run_command(cli() + " log inspect " + dir + " --json 2>/dev/null");
  std::vector<std::pair<std::string, uint64_t>> offsets;  // reducer, offset
  std::map<uint64_t, uint64_t> parents;                   // offset: parent, where recorded
  std::istringstream lines(inspect.output);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("reducer")) offsets.emplace_back(j["reducer"], j["offset"]);
    if (j.contains("parent")) parents[j["offset"]] = j["parent"];
  }
  ASSERT_EQ(offsets.size(), 6u) << inspect.output;
  ASSERT_EQ(offsets[1].first, "open_accounts");
  ASSERT_EQ(offsets[3].first, "transfer");
  ASSERT_EQ(offsets[5].first, "on_greeting_insert");
  // Only the greeting's subscriber was queued by a commit: hello's.
  EXPECT_EQ(parents, (std::map<uint64_t, uint64_t>{{offsets[5].second, offsets[4].second}}));
  auto at = [&](size_t i) { return " " + std::to_string(offsets[i].second); };
  const std::string opened = at(1), transferred = at(3), greeted = at(5);

  auto all = run_command(cli() + " diff " + dir + " 0" + opened + " --json 2>/dev/null");
  ASSERT_EQ(all.exit_code, 0) << all.output;
  auto created = nlohmann::json::parse(all.output);
  EXPECT_EQ(created["tables"]["bank.accounts"]["inserted"].size(), 3u);
  EXPECT_FALSE(created["tables"].contains("hello.greetings"));

  auto moved = run_command(cli() + " diff " + dir + opened + transferred + " --json 2>/dev/null");
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  auto changes = nlohmann::json::parse(moved.output)["tables"]["bank.accounts"];
  EXPECT_TRUE(changes["inserted"].empty());
  EXPECT_TRUE(changes["deleted"].empty());
  std::map<uint64_t, std::pair<int64_t, int64_t>> balances;  // id: old, new
  for (const auto& u : changes["updated"])
    balances[u["old"]["id"]] = {u["old"]["balance"], u["new"]["balance"]};
  EXPECT_EQ(balances, (std::map<uint64_t, std::pair<int64_t, int64_t>>{
                          {1, {100, 70}}, {2, {100, 125}}, {3, {100, 105}}}));
  auto text = run_command(cli() + " diff " + dir + transferred + greeted + " 2>/dev/null");
  EXPECT_NE(text.output.find("hello.greetings: 1 inserted, 0 deleted, 0 updated"),
            std::string::npos)
      << text.output;
  auto same = run_command(cli() + " diff " + dir + greeted + greeted + " 2>/dev/null");
  EXPECT_NE(same.output.find("no table changed"), std::string::npos) << same.output;

  // The triggered transaction, run again: its inputs, effects and log line.
  auto tx = run_command(cli() + " tx " + dir + greeted + " --json 2>/dev/null");
  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  auto report = nlohmann::json::parse(tx.output);
  EXPECT_EQ(report["transaction"]["trigger"], "hello.greetings.insert");
  EXPECT_TRUE(report["divergence"].is_null());
  ASSERT_EQ(report["logs"].size(), 1u) << tx.output;
  EXPECT_EQ(report["logs"][0]["reducer"], "on_greeting_insert");
  EXPECT_NE(report["logs"][0]["message"].get<std::string>().find("Hello, Ann!"), std::string::npos);
  auto hello = run_command(cli() + " tx " + dir + at(4) + " --json 2>/dev/null");
  ASSERT_EQ(hello.exit_code, 0) << hello.output;
  EXPECT_EQ(nlohmann::json::parse(hello.output)["children"],
            nlohmann::json::array({offsets[5].second}));
  auto cascade = run_command(cli() + " graph " + dir + " --cascade" + at(4) + " 2>/dev/null");
  ASSERT_EQ(cascade.exit_code, 0) << cascade.output;
  EXPECT_NE(cascade.output.find(fmt::format("t{} -> t{} [label=\"hello.greetings.insert\"]",
                                            offsets[4].second, offsets[5].second)),
            std::string::npos)
      << cascade.output;
  EXPECT_EQ(run_command(cli() + " graph " + dir + " --cascade 999 2>/dev/null").exit_code, 1);
  auto transfer = run_command(cli() + " tx " + dir + transferred + " 2>/dev/null");
  ASSERT_EQ(transfer.exit_code, 0) << transfer.output;
  EXPECT_NE(transfer.output.find("bank.transfer(2, 3, 5)"), std::string::npos) << transfer.output;
  EXPECT_NE(transfer.output.find("the same effects as logged"), std::string::npos);
  // The start is no transaction, and neither is an offset past the end.
  for (const char* offset : {"1", "99"}) {
    auto none = run_command(cli() + " tx " + dir + " " + offset + " 2>&1");
    EXPECT_EQ(none.exit_code, 1) << none.output;
    EXPECT_NE(none.output.find("there is no transaction at offset"), std::string::npos);
  }
}

}  // namespace
