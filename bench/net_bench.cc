// Peer protocol over loopback: latency of a raw TCP ping-pong baseline, an
// authenticated Ping/Pong and a remote call (no-op handler), p50 and p99
// over N round trips each; pipelined calls/s; subscription events/s.
//
//   net_bench [--round-trips N]
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "net/peer_client.h"
#include "net/peer_server.h"

using namespace interstice;
using clock_type = std::chrono::steady_clock;

namespace {

struct Percentiles {
  double p50_us, p99_us;
};

Percentiles percentiles(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

template <typename F>
Percentiles measure(int n, F round_trip) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto start = clock_type::now();
    round_trip(i);
    us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
  }
  return percentiles(us);
}

// A raw TCP echo of 8 bytes: the floor for any request/response over loopback.
Percentiles raw_tcp(int n) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::thread echo([&] {
    asio::ip::tcp::socket s = acceptor.accept();
    s.set_option(asio::ip::tcp::no_delay(true));
    uint8_t buf[8];
    asio::error_code ec;
    while (asio::read(s, asio::buffer(buf), ec) == 8 && !ec) asio::write(s, asio::buffer(buf), ec);
  });
  asio::ip::tcp::socket client(io);
  client.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  client.set_option(asio::ip::tcp::no_delay(true));
  uint8_t buf[8] = {};
  Percentiles p = measure(n, [&](int) {
    asio::write(client, asio::buffer(buf));
    asio::read(client, asio::buffer(buf));
  });
  client.close();
  echo.join();
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  if (argc == 3 && std::string(argv[1]) == "--round-trips") n = std::max(100, std::atoi(argv[2]));
  std::string pattern =
      (std::filesystem::temp_directory_path() / "interstice-net-bench-XXXXXX").string();
  std::filesystem::path dir = ::mkdtemp(pattern.data());
  std::filesystem::create_directories(dir / "server");
  std::filesystem::create_directories(dir / "client");
  net::Identity server_id =
      std::move(net::load_or_create_identity(interstice::base::Env::posix(), dir / "server"))
          .value();
  net::Identity client_id =
      std::move(net::load_or_create_identity(interstice::base::Env::posix(), dir / "client"))
          .value();
  // The subscription's channel (the node's side of it).
  std::mutex channel_mutex;
  std::shared_ptr<net::PeerChannel> channel;
  net::PeerServer server(
      server_id, [](net::LogLevel, const std::string&) {},
      net::PeerServer::Handlers{
          .on_call = [](const std::string&, const net::CallRequest& call,
                        auto reply) { reply(net::CallResult{call.call_id, true, ""}); },
          .on_subscribe =
              [&](const net::Subscribe& sub, std::shared_ptr<net::PeerChannel> c) {
                c->send(net::Message{net::SubscribeResult{sub.subscription_id, true, "", 0}});
                std::lock_guard lock(channel_mutex);
                channel = std::move(c);
              }},
      // The publisher below outruns the subscriber by design (it publishes
      // 500,000 events at once): let the whole stream queue up.
      net::PeerLimits{.send_queue_bytes = size_t{1} << 30});
  uint16_t port = *server.start("127.0.0.1", 0);
  auto client = std::move(net::PeerClient::connect("127.0.0.1", port, client_id, nullptr)).value();

  Percentiles tcp = raw_tcp(n);
  Percentiles ping = measure(n, [&](int i) { (void)client->ping(i); });
  std::vector<uint8_t> args(16, 7);
  Percentiles call = measure(n, [&](int i) { (void)client->call(i + 1, "m", "r", args); });

  fmt::print("Interstice peer protocol over loopback, {} round trips each\n\n", n);
  fmt::print("| round trip | p50 us | p99 us | p50 vs raw TCP |\n|---|---:|---:|---:|\n");
  fmt::print("| raw TCP ping-pong (8 bytes) | {:.1f} | {:.1f} | 1.00x |\n", tcp.p50_us, tcp.p99_us);
  fmt::print("| authenticated Ping/Pong | {:.1f} | {:.1f} | {:.2f}x |\n", ping.p50_us, ping.p99_us,
             ping.p50_us / tcp.p50_us);
  fmt::print("| remote call, no-op handler | {:.1f} | {:.1f} | {:.2f}x |\n", call.p50_us,
             call.p99_us, call.p50_us / tcp.p50_us);
  // Pipelined: up to `window` calls in flight on one connection.
  const int window = 1000;
  uint64_t next_id = 1'000'000, done = 0;
  auto start = clock_type::now();
  double elapsed = 0;
  while (elapsed < 2.0) {
    for (int i = 0; i < window; ++i) (void)client->send_call(next_id++, "m", "r", args);
    for (int i = 0; i < window; ++i)
      if (client->receive_result()) ++done;
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  }
  fmt::print("\nremote calls/s pipelined ({} in flight, one connection, no-op handler): {:.0f}\n",
             window, done / elapsed);
  // Subscription stream: the server publishes events of a 40-byte row as
  // fast as it can; the subscriber receives every one.
  (void)client->send(net::Message{net::Subscribe{1, "m", "t", "Row", {}}});
  (void)client->receive();  // SubscribeResult
  std::shared_ptr<net::PeerChannel> subscriber;
  {
    std::lock_guard lock(channel_mutex);
    subscriber = channel;
  }
  const int events = 500'000;
  net::TableEvent event;
  event.new_row.data.assign(40, 7);
  start = clock_type::now();
  std::thread publisher([&] {
    for (int i = 0; i < events; ++i) {
      event.offset = static_cast<uint64_t>(i) + 1;
      subscriber->send(net::Message{event});
    }
  });
  int received = 0;
  while (received < events && client->receive()) ++received;
  publisher.join();
  elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  fmt::print("remote subscription events/s (one subscriber, 40-byte rows): {:.0f}\n",
             received / elapsed);
  fmt::print(
      "\ntargets: remote call p50 <= 2x the raw TCP round trip; >= 100,000 calls/s pipelined\n");
  client.reset();
  server.stop();
  std::filesystem::remove_all(dir);
  return 0;
}
