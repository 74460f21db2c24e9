// The transfer benchmark, end to end against a real node (a child process
// of `interstice start`): the bank module (modules/bank) with 100,000
// accounts, and transfer(from, to, amount) calls from
//   - ordinary HTTP keep-alive clients (cpp-httplib, one call at a time per
//     connection), and
//   - WebSocket clients of the client protocol (binary form), driven by one
//     thread, with 384 calls in flight in all (spread over the connections),
//     and
//   - another node's peer link (net::PeerClient, the peer protocol with its
//     handshake and encryption), one thread per connection, with the same
//     calls in flight in all,
// with account ids uniform or Zipf-distributed (alpha 1.5), over 4 and 64
// connections, under the durabilities none, group and sync. Each run prints
// transactions per second and p50/p99 latency; after each run the balances
// must still sum to the starting total, and after each durability's runs the
// node is stopped and `replay --verify` must pass. PostgreSQL's pgbench runs
// the same workload where it is installed.
//
// Each run also prints the log writer's fsyncs per second and the records per
// fsync (its batch size), from GET /node, and the node process's CPU time
// (user + system, all its threads) per transaction. During the WebSocket runs a probe
// measures how soon a subscriber gets a committed change: one connection
// subscribes to two accounts of their own, another moves money between them
// one call at a time, and each update is timed against the call's answer
// (sent once the transaction is durable) and against the call.
//
//   transfer_bench [seconds per run, default 3] [durabilities, default "none,group,sync"]
//                  [WebSocket calls in flight in all, default 384]
//                  [clients, default "http,ws,peer,pg"] [connections, default "4,64"]
//                  [tracing: "on" records every run with GET /trace; default off]
#include <fmt/format.h>
#include <httplib.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "abi/serialize.h"
#include "base/env.h"
#include "net/identity.h"
#include "net/peer_client.h"
#include "node/client_messages.h"
#include "support/command_runner.h"
#include "support/node_process.h"
#include "support/temp_dir.h"

using namespace interstice;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kAccounts = 100'000;
constexpr int64_t kStartBalance = 1'000'000;
// Two more accounts that only the subscriber-latency probe moves money
// between (WsLoad::Probe).
constexpr uint64_t kProbeAccount = kAccounts;

// Account ids: uniform, or Zipf with alpha 1.5 (a few accounts take most
// of the transfers).
class Accounts {
 public:
  explicit Accounts(bool zipf) : zipf_(zipf) {
    if (!zipf) return;
    cdf_.resize(kAccounts);
    double sum = 0;
    for (uint64_t k = 0; k < kAccounts; ++k) cdf_[k] = sum += 1.0 / std::pow(k + 1, 1.5);
    for (double& c : cdf_) c /= sum;
  }
  uint64_t pick(std::mt19937_64& random) const {
    if (!zipf_) return random() % kAccounts;
    double u = std::uniform_real_distribution<double>(0, 1)(random);
    return std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  }

 private:
  bool zipf_;
  std::vector<double> cdf_;
};

struct Transfer {
  uint64_t from, to;
  int64_t amount;
};
Transfer next_transfer(const Accounts& accounts, std::mt19937_64& random) {
  uint64_t from = accounts.pick(random), to = accounts.pick(random);
  while (to == from) to = accounts.pick(random);
  return {from, to, static_cast<int64_t>(1 + random() % 10)};
}

struct Figures {
  uint64_t ok = 0, refused = 0, failed = 0;
  std::vector<double> latencies_ms;
  // The probe's: from a call's answer (sent once its transaction is durable)
  // to the subscriber's update of it, and from the call to that update.
  std::vector<double> update_after_answer_ms, update_after_call_ms;
};

void merge(Figures& into, Figures& from) {
  into.ok += from.ok;
  into.refused += from.refused;
  into.failed += from.failed;
  into.latencies_ms.insert(into.latencies_ms.end(), from.latencies_ms.begin(),
                           from.latencies_ms.end());
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t at = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + at, v.end());
  return v[at];
}

// One HTTP keep-alive connection, one call at a time, until `stop`.
void http_client(uint16_t port, const Accounts& accounts, uint64_t seed,
                 const std::atomic<bool>& stop, Figures* out) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  std::mt19937_64 random(seed);
  while (!stop) {
    Transfer t = next_transfer(accounts, random);
    auto started = Clock::now();
    auto res = client.Post("/call/bank/transfer", fmt::format("[{},{},{}]", t.from, t.to, t.amount),
                           "application/json");
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (!res) {
      ++out->failed;
      continue;
    }
    (res->status == 200 ? out->ok : res->status == 422 ? out->refused : out->failed)++;
    out->latencies_ms.push_back(ms);
  }
}

// One peer connection, as another node calls: `window` calls in flight
// (answers come in the order the node received the calls), until `stop`.
// Call ids are unique per calling node: `seed` sets this connection's range.
void peer_client(uint16_t peer_port, const net::Identity& identity, const Accounts& accounts,
                 uint64_t seed, uint32_t window, const std::atomic<bool>& stop, Figures* out) {
  auto client = net::PeerClient::connect("127.0.0.1", peer_port, identity, nullptr);
  if (!client) {
    fmt::print("a peer connection failed: {}\n", client.error().message);
    ++out->failed;
    return;
  }
  (*client)->set_receive_timeout(30);
  std::mt19937_64 random(seed);
  const uint64_t base = seed << 40;
  std::vector<Clock::time_point> started(window);
  uint64_t next = 0, in_flight = 0;
  auto send = [&] {
    Transfer t = next_transfer(accounts, random);
    started[next % window] = Clock::now();
    auto sent = (*client)->send_call(base + next++, "bank", "transfer",
                                     abi::to_bytes(std::make_tuple(t.from, t.to, t.amount)));
    sent ? (void)++in_flight : (void)++out->failed;
  };
  for (uint32_t i = 0; i < window; ++i) send();
  while (in_flight > 0) {
    auto result = (*client)->receive_result();
    if (!result) {
      out->failed += in_flight;
      return;
    }
    --in_flight;
    out->latencies_ms.push_back(std::chrono::duration<double, std::milli>(
                                    Clock::now() - started[(result->call_id - base) % window])
                                    .count());
    (result->ok ? out->ok : out->refused)++;
    if (!stop) send();
  }
}

// WebSocket clients, all driven by one thread (so the load generator takes
// one core at most): each connection keeps `window` calls in flight, sending
// a new one as each answer comes, until `stop`; then it drains and closes.
class WsLoad {
 public:
  WsLoad(uint16_t port, int connections, uint32_t window, const Accounts& accounts)
      : window_(window), accounts_(accounts) {
    namespace net = boost::asio;
    net::ip::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve("127.0.0.1", std::to_string(port));
    for (int c = 0; c < connections; ++c) {
      auto conn = std::make_unique<Conn>(io_, 1000 + c, window);
      boost::system::error_code ec;
      net::connect(conn->ws.next_layer(), endpoints, ec);
      if (!ec) conn->ws.handshake("127.0.0.1", "/v1/ws", ec);
      if (ec) {
        ++failed_connections_;
        continue;
      }
      conn->ws.next_layer().set_option(net::ip::tcp::no_delay(true));
      conn->ws.binary(true);
      conns_.push_back(std::move(conn));
    }
    probe_.ok = probe_.open(endpoints);
  }
  // Runs for `seconds`; the figures of every connection.
  Figures run(double seconds) {
    for (auto& conn : conns_) {
      for (uint32_t i = 0; i < window_; ++i) send_next(*conn);
      flush(*conn);
      read_next(*conn);
    }
    if (probe_.ok) {
      probe_read(probe_.caller, probe_.answer_in, probe_.answered_at, probe_.answered);
      probe_read(probe_.subscriber, probe_.update_in, probe_.updated_at, probe_.updated);
      probe_send();
    }
    boost::asio::steady_timer timer(
        io_, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    timer.async_wait([this](boost::system::error_code) {
      stopping_ = true;
      if (probe_.idle) probe_.close();
    });
    io_.run();
    Figures all;
    all.failed += failed_connections_;
    for (auto& conn : conns_) merge(all, conn->figures);
    all.update_after_answer_ms = std::move(probe_.after_answer_ms);
    all.update_after_call_ms = std::move(probe_.after_call_ms);
    return all;
  }

 private:
  struct Conn {
    Conn(boost::asio::io_context& io, uint64_t seed, uint32_t window)
        : ws(io), random(seed), started(window) {}
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws;
    boost::beast::flat_buffer in;
    std::deque<std::vector<uint8_t>> out;
    std::vector<uint8_t> gathering;  // calls for the next frame
    bool writing = false;
    uint64_t next_id = 0, in_flight = 0;
    std::mt19937_64 random;
    std::vector<Clock::time_point> started;  // by request id % window
    Figures figures;
  };

  // Queues a call in the frame being gathered (sent by flush()).
  void send_next(Conn& c) {
    Transfer t = next_transfer(accounts_, c.random);
    uint64_t id = c.next_id++;
    c.started[id % window_] = Clock::now();
    ++c.in_flight;
    node::append_to_frame(
        c.gathering,
        node::ClientMessage{node::CallMessage{
            id, "bank", "transfer", {abi::to_bytes(std::make_tuple(t.from, t.to, t.amount))}}});
  }
  // Sends the calls gathered so far as one frame (the client protocol packs
  // several messages into a binary frame).
  void flush(Conn& c) {
    if (c.gathering.empty()) return;
    c.out.push_back(std::move(c.gathering));
    c.gathering.clear();
    write_next(c);
  }
  void write_next(Conn& c) {
    if (c.writing || c.out.empty()) return;
    c.writing = true;
    c.ws.async_write(boost::asio::buffer(c.out.front()),
                     [this, &c](boost::system::error_code ec, size_t) {
                       c.writing = false;
                       c.out.pop_front();
                       if (!ec) write_next(c);
                     });
  }
  void read_next(Conn& c) {
    c.in.clear();
    c.ws.async_read(c.in, [this, &c](boost::system::error_code ec, size_t) {
      if (ec) {
        c.figures.failed += c.in_flight;
        return;
      }
      std::string problem;
      bool decoded = node::for_each_in_frame<node::ServerMessage>(
          std::span(static_cast<const uint8_t*>(c.in.data().data()), c.in.size()), &problem,
          [&](node::ServerMessage message) {
            const auto* result = std::get_if<node::CallResult>(&message.value);
            if (!result) {
              ++c.figures.failed;
              return true;
            }
            --c.in_flight;
            c.figures.latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() -
                                                          c.started[result->request_id % window_])
                    .count());
            (result->ok                 ? c.figures.ok
             : result->code == "Failed" ? c.figures.refused
                                        : c.figures.failed)++;
            if (!stopping_) send_next(c);
            return true;
          });
      if (!decoded) ++c.figures.failed;
      flush(c);
      if (stopping_ && c.in_flight == 0) {
        boost::system::error_code ignored;
        c.ws.next_layer().close(ignored);
        return;
      }
      read_next(c);
    });
  }

  // Subscriber latency under the load: one connection subscribes to the two
  // probe accounts, another moves 1 between them, one call at a time, 1 ms
  // apart; each call's update is timed against its answer and its start.
  struct Probe {
    using Socket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;
    explicit Probe(boost::asio::io_context& io) : caller(io), subscriber(io), pause(io) {}
    bool open(const boost::asio::ip::tcp::resolver::results_type& endpoints) {
      boost::system::error_code ec;
      for (Socket* ws : {&caller, &subscriber}) {
        boost::asio::connect(ws->next_layer(), endpoints, ec);
        if (!ec) ws->handshake("127.0.0.1", "/v1/ws", ec);
        if (ec) return false;
        ws->next_layer().set_option(boost::asio::ip::tcp::no_delay(true));
        ws->binary(true);
      }
      node::ClientMessage subscribe = node::SubscribeMessage{
          1, fmt::format("SELECT * FROM bank.accounts WHERE id >= {}", kProbeAccount), {}};
      subscriber.write(boost::asio::buffer(abi::to_bytes(subscribe)), ec);
      boost::beast::flat_buffer in;
      if (!ec) subscriber.read(in, ec);
      auto answer = abi::from_bytes<node::ServerMessage>(
          std::span(static_cast<const uint8_t*>(in.data().data()), in.size()));
      const auto* subscribed = answer ? std::get_if<node::Subscribed>(&answer->value) : nullptr;
      return !ec && subscribed && subscribed->ok;
    }
    void close() {
      boost::system::error_code ignored;
      caller.next_layer().close(ignored);
      subscriber.next_layer().close(ignored);
    }
    Socket caller, subscriber;
    boost::beast::flat_buffer answer_in, update_in;
    boost::asio::steady_timer pause;
    std::vector<uint8_t> out;
    bool ok = false, idle = true, answered = false, updated = false;
    uint64_t next_id = 0;
    Clock::time_point sent, answered_at, updated_at;
    std::vector<double> after_answer_ms, after_call_ms;
  };

  void probe_send() {
    if (stopping_) return probe_.close();
    uint64_t id = probe_.next_id++;
    uint64_t from = kProbeAccount + id % 2, to = kProbeAccount + 1 - id % 2;
    node::ClientMessage call = node::CallMessage{
        id, "bank", "transfer", {abi::to_bytes(std::make_tuple(from, to, int64_t{1}))}};
    probe_.out = abi::to_bytes(call);
    probe_.idle = probe_.answered = probe_.updated = false;
    probe_.sent = Clock::now();
    probe_.caller.async_write(boost::asio::buffer(probe_.out),
                              [](boost::system::error_code, size_t) {});
  }
  void probe_done() {
    if (!probe_.answered || !probe_.updated) return;
    using Ms = std::chrono::duration<double, std::milli>;
    probe_.after_answer_ms.push_back(Ms(probe_.updated_at - probe_.answered_at).count());
    probe_.after_call_ms.push_back(Ms(probe_.updated_at - probe_.sent).count());
    probe_.idle = true;
    if (stopping_) return probe_.close();
    probe_.pause.expires_after(std::chrono::milliseconds(1));
    probe_.pause.async_wait([this](boost::system::error_code) { probe_send(); });
  }
  // Reads `ws`'s messages (the caller's answers, or the subscriber's
  // updates), noting when each came in `at` and `came`.
  void probe_read(Probe::Socket& ws, boost::beast::flat_buffer& in, Clock::time_point& at,
                  bool& came) {
    in.clear();
    ws.async_read(in, [this, &ws, &in, &at, &came](boost::system::error_code ec, size_t) {
      if (ec) return;
      at = Clock::now();
      came = true;
      probe_done();
      probe_read(ws, in, at, came);
    });
  }

  boost::asio::io_context io_;
  Probe probe_{io_};
  const uint32_t window_;
  const Accounts& accounts_;
  std::vector<std::unique_ptr<Conn>> conns_;
  uint64_t failed_connections_ = 0;
  bool stopping_ = false;  // only the io_context's thread
};

// The log's writer: fsyncs and the records they covered (GET /node).
struct LogWriter {
  uint64_t fsyncs = 0, records = 0;
};
LogWriter log_writer(uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/node");
  if (!res || res->status != 200) return {};
  auto log = nlohmann::json::parse(res->body).at("log");
  return {log.at("fsyncs").get<uint64_t>(), log.at("fsynced_records").get<uint64_t>()};
}

// The CPU time a process has used so far (user + system), in microseconds,
// from /proc/PID/stat; 0 where that cannot be read.
double cpu_micros(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t after_name = text.rfind(')');
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(text.substr(after_name + 2));
  std::string field;
  double user = 0, system = 0;
  // Fields 3.. follow the name; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) user = std::atof(field.c_str());
    if (index == 15) system = std::atof(field.c_str());
  }
  return (user + system) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int64_t total_balance(uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60);
  int64_t sum = 0;
  // Two queries: a query returns at most 100,000 rows, and the probe's two
  // accounts come after the load's.
  for (const char* where : {"id < {}", "id >= {}"}) {
    std::string query = "SELECT balance FROM bank.accounts WHERE " +
                        fmt::format(fmt::runtime(where), kProbeAccount);
    auto res = client.Post("/v1/sql", query, "text/plain");
    if (!res || res->status != 200) return -1;
    for (const auto& row : nlohmann::json::parse(res->body)) sum += row["balance"].get<int64_t>();
  }
  return sum;
}

// Runs client(connection, stop, figures) on a thread per connection for
// `seconds`, then sets `stop` and waits; all their figures.
template <typename Client>
Figures on_threads(int connections, double seconds, Client client) {
  std::atomic<bool> stop = false;
  std::vector<Figures> per(connections);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) threads.emplace_back([&, c] { client(c, stop, &per[c]); });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  Figures all;
  for (auto& f : per) merge(all, f);
  return all;
}

// With tracing on, each run is recorded by GET /trace (as `interstice
// trace` does), from just before it starts until just after it ends.
struct TraceDuringRun {
  std::thread thread;
  std::string answer;
  TraceDuringRun(testing::NodeProcess& node, double seconds) {
    std::ifstream key_file(node.data_dir() / "operator.key");
    std::string key;
    std::getline(key_file, key);
    uint16_t port = node.port();
    int whole = static_cast<int>(std::ceil(seconds)) + 1;
    thread = std::thread([this, port, key, whole] {
      httplib::Client http("127.0.0.1", port);
      http.set_read_timeout(whole + 60);
      auto res =
          http.Get(fmt::format("/trace?seconds={}", whole), {{"Authorization", "Bearer " + key}});
      answer = res ? res->body : "";
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it is recording
  }
  // "N spans (D dropped)" once the trace came back.
  std::string finish() {
    thread.join();
    auto trace = nlohmann::json::parse(answer, nullptr, false);
    if (!trace.is_object()) return "no trace: " + answer.substr(0, 200);
    return fmt::format("{} spans ({} dropped)", trace["otherData"]["spans"].get<uint64_t>(),
                       trace["otherData"]["dropped"].get<uint64_t>());
  }
};

void run(const std::string& durability, double seconds, uint32_t ws_in_flight,
         const std::vector<std::string>& clients, const std::vector<int>& connection_counts,
         bool traced) {
  testing::NodeProcess node({"bank"}, {"--durability", durability, "--peer-port", "0"});
  testing::TempDir peer_dir;
  auto identity = net::load_or_create_identity(base::Env::posix(), peer_dir.path());
  if (!identity) {
    fmt::print("no peer identity: {}\n", identity.error().message);
    std::exit(1);
  }
  if (node.port() == 0) {
    fmt::print("node did not start: {}\n", node.output());
    std::exit(1);
  }
  httplib::Client seeder("127.0.0.1", node.port());
  seeder.set_read_timeout(120);
  for (uint64_t first = 0; first < kAccounts; first += 10'000) {
    auto res =
        seeder.Post("/call/bank/open_accounts",
                    fmt::format("[{},{},{}]", first, 10'000, kStartBalance), "application/json");
    if (!res || res->status != 200) {
      fmt::print("seeding failed: {}\n", res ? res->body : "no answer");
      std::exit(1);
    }
  }
  auto probe =
      seeder.Post("/call/bank/open_accounts",
                  fmt::format("[{},2,{}]", kProbeAccount, kStartBalance), "application/json");
  if (!probe || probe->status != 200) {
    fmt::print("opening the probe accounts failed\n");
    std::exit(1);
  }
  const int64_t total = static_cast<int64_t>(kAccounts + 2) * kStartBalance;
  const uint16_t peer_port = node.peer_port();
  uint64_t peer_runs = 0;
  for (const std::string& client : clients) {
    if (client == "pg") continue;  // pgbench runs once, after every durability
    for (bool zipf : {false, true}) {
      Accounts accounts(zipf);
      for (int connections : connection_counts) {
        LogWriter before = log_writer(node.port());
        double cpu_before = cpu_micros(node.pid());
        Figures all;
        uint32_t window = std::max<uint32_t>(1, ws_in_flight / connections);
        std::optional<TraceDuringRun> trace;
        if (traced) trace.emplace(node, seconds);
        if (client == "http") {
          all = on_threads(connections, seconds, [&](int c, const auto& stop, Figures* out) {
            http_client(node.port(), accounts, 1000 + c, stop, out);
          });
        } else if (client == "ws") {
          all = WsLoad(node.port(), connections, window, accounts).run(seconds);
        } else {
          // A call id the node saw before would get its remembered outcome:
          // every run and connection has its own range.
          uint64_t first_seed = 1 + 1000 * peer_runs++;
          all = on_threads(connections, seconds, [&](int c, const auto& stop, Figures* out) {
            peer_client(peer_port, *identity, accounts, first_seed + c, window, stop, out);
          });
        }
        LogWriter after = log_writer(node.port());
        double node_cpu = cpu_micros(node.pid()) - cpu_before;
        uint64_t fsyncs = after.fsyncs - before.fsyncs;
        double batch = fsyncs ? double(after.records - before.records) / fsyncs : 0;
        int64_t balance = total_balance(node.port());
        fmt::print(
            "{:<5} {:<8} {:>5} {:<7} {:>10.0f} {:>9.2f} {:>9.2f} {:>8} {:>6} {:>9.0f} {:>7.1f} "
            "{:>8.1f} {}\n",
            client, zipf ? "zipf1.5" : "uniform", connections, durability,
            (all.ok + all.refused) / seconds, percentile(all.latencies_ms, 0.5),
            percentile(all.latencies_ms, 0.99), all.refused, all.failed, fsyncs / seconds, batch,
            all.ok + all.refused ? node_cpu / double(all.ok + all.refused) : 0.0,
            balance == total ? "sum ok" : fmt::format("SUM WRONG: {}", balance));
        if (!all.update_after_answer_ms.empty())
          fmt::print(
              "      subscriber: update after the answer p50 {:.3f} ms p99 {:.3f} ms; after the "
              "call p50 {:.3f} ms p99 {:.3f} ms ({} changes)\n",
              percentile(all.update_after_answer_ms, 0.5),
              percentile(all.update_after_answer_ms, 0.99),
              percentile(all.update_after_call_ms, 0.5), percentile(all.update_after_call_ms, 0.99),
              all.update_after_answer_ms.size());
        if (trace) fmt::print("      traced: {}\n", trace->finish());
        std::fflush(stdout);
      }
    }
  }
  std::filesystem::path data = node.data_dir();
  node.stop();
  auto verify = testing::run_command(std::string(INTERSTICE_CLI) + " replay " + data.string() +
                                     " --verify 2>&1");
  fmt::print("replay --verify ({}): {}\n", durability,
             verify.exit_code == 0 ? "passed" : "FAILED\n" + verify.output);
}

// PostgreSQL on the same workload: a throwaway cluster (as the postgres
// user when this runs as root), accounts(id, balance) with the same rows, a
// plpgsql transfer() that reads both rows and updates both or refuses, and
// pgbench calling it from 4 and 64 clients, synchronous_commit off and on.
void pgbench(double seconds) {
  const std::string bin = "/usr/lib/postgresql/15/bin";
  if (testing::run_command("command -v pgbench && test -x " + bin + "/initdb").exit_code != 0) {
    fmt::print("PostgreSQL: not installed here; the comparison is skipped\n");
    return;
  }
  testing::TempDir dir;
  std::string as_postgres = ::getuid() == 0 ? "runuser -u postgres -- " : "";
  std::string data = (dir.path() / "pg").string();
  auto sh = [&](const std::string& command) { return testing::run_command(command); };
  sh("chmod 777 " + dir.path().string());
  int port = 25000 + static_cast<int>(::getpid() % 5000);
  std::string server = fmt::format("-h {} -p {} -U postgres", dir.path().string(), port);
  auto init = sh(as_postgres + bin + "/initdb -A trust -U postgres -D " + data);
  auto started = sh(as_postgres + bin + "/pg_ctl -w -D " + data + " -l " + data + ".log -o \"-p " +
                    std::to_string(port) + " -k " + dir.path().string() +
                    " -c listen_addresses='' -c max_connections=100\" start");
  if (init.exit_code != 0 || started.exit_code != 0) {
    fmt::print("PostgreSQL: could not start a cluster: {}{}\n", init.output, started.output);
    return;
  }
  std::string schema = dir.path().string() + "/schema.sql";
  std::ofstream(schema) << fmt::format(
      "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);\n"
      "INSERT INTO accounts SELECT g, {} FROM generate_series(0, {}) g;\n"
      "CREATE FUNCTION transfer(a bigint, b bigint, amount bigint) RETURNS void AS $$\n"
      "DECLARE from_balance bigint; to_balance bigint;\n"
      "BEGIN\n"
      "  IF a = b THEN RETURN; END IF;\n"
      "  PERFORM 1 FROM accounts WHERE id IN (a, b) ORDER BY id FOR UPDATE;\n"  // no deadlocks
      "  SELECT balance INTO from_balance FROM accounts WHERE id = a;\n"
      "  SELECT balance INTO to_balance FROM accounts WHERE id = b;\n"
      "  IF from_balance < amount THEN RETURN; END IF;\n"
      "  UPDATE accounts SET balance = from_balance - amount WHERE id = a;\n"
      "  UPDATE accounts SET balance = to_balance + amount WHERE id = b;\n"
      "END $$ LANGUAGE plpgsql;\n",
      kStartBalance, kAccounts - 1);
  sh("psql -q " + server + " -f " + schema);
  for (bool zipf : {false, true}) {
    std::string script = dir.path().string() + (zipf ? "/zipf.sql" : "/uniform.sql");
    std::string pick = zipf ? fmt::format("random_zipfian(0, {}, 1.5)", kAccounts - 1)
                            : fmt::format("random(0, {})", kAccounts - 1);
    std::ofstream(script) << "\\set a " << pick << "\n\\set b " << pick
                          << "\n\\set amount random(1, 10)\nSELECT transfer(:a, :b, :amount);\n";
    for (int clients : {4, 64}) {
      for (const char* commit : {"off", "on"}) {
        auto run = sh(
            fmt::format("PGOPTIONS='-c synchronous_commit={}' pgbench -n {} -f {} -c {} "
                        "-j 2 -T {} postgres",
                        commit, server, script, clients, std::max(1, static_cast<int>(seconds))));
        double tps = 0, latency = 0;
        if (size_t at = run.output.find("tps = "); at != std::string::npos)
          tps = std::atof(run.output.c_str() + at + 6);
        if (size_t at = run.output.find("latency average = "); at != std::string::npos)
          latency = std::atof(run.output.c_str() + at + 18);
        fmt::print(
            "{:<5} {:<8} {:>5} {:<7} {:>10.0f} {:>9} {:>9} (synchronous_commit={}, latency "
            "average {:.2f} ms)\n",
            "pg", zipf ? "zipf1.5" : "uniform", clients,
            commit == std::string("on") ? "sync" : "async", tps, "", "", commit, latency);
        std::fflush(stdout);
      }
    }
  }
  sh(as_postgres + bin + "/pg_ctl -w -D " + data + " -m fast stop");
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::string modes = argc > 2 ? argv[2] : "none,group,sync";
  uint32_t ws_in_flight = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 384;
  std::vector<std::string> clients;
  std::stringstream client_list(argc > 4 ? argv[4] : "http,ws,peer,pg");
  for (std::string client; std::getline(client_list, client, ',');) clients.push_back(client);
  std::vector<int> connection_counts;
  std::stringstream count_list(argc > 5 ? argv[5] : "4,64");
  for (std::string count; std::getline(count_list, count, ',');)
    connection_counts.push_back(std::max(1, std::atoi(count.c_str())));
  // "on": every run is traced (GET /trace), to measure what tracing costs.
  bool traced = argc > 6 && std::string(argv[6]) == "on";
  fmt::print(
      "transfer benchmark: {} accounts, {} s per run, {} WebSocket calls in flight in all, {} "
      "cores\n",
      kAccounts, seconds, ws_in_flight, std::thread::hardware_concurrency());
  fmt::print("{:<5} {:<8} {:>5} {:<7} {:>10} {:>9} {:>9} {:>8} {:>6} {:>9} {:>7} {:>8} {}\n",
             "client", "ids", "conns", "durab.", "TPS", "p50 ms", "p99 ms", "refused", "failed",
             "fsyncs/s", "batch", "µs CPU", "balances");
  std::stringstream list(modes);
  for (std::string mode; std::getline(list, mode, ',');)
    run(mode, seconds, ws_in_flight, clients, connection_counts, traced);
  if (std::find(clients.begin(), clients.end(), "pg") != clients.end()) pgbench(seconds);
}
