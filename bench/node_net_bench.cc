// Remote calls and remote subscriptions through a real node (not a no-op
// handler): a node with `hello` and its peer server in this process; one peer
// pipelines hello(name) calls, each a durable transaction that inserts a
// greeting (group commit), while another peer subscribes to hello.greetings
// and receives every insert.
//
//   node_net_bench [--calls N]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "abi/serialize.h"
#include "hello/hello_types.h"
#include "net/peer_client.h"
#include "node/node.h"

using namespace interstice;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int calls = 200'000;
  if (argc == 3 && std::string(argv[1]) == "--calls") calls = std::max(1000, std::atoi(argv[2]));
  spdlog::set_level(spdlog::level::warn);
  std::string pattern =
      (std::filesystem::temp_directory_path() / "interstice-node-net-XXXXXX").string();
  std::filesystem::path dir = ::mkdtemp(pattern.data());
  std::filesystem::create_directories(dir / "node" / "modules");
  std::filesystem::copy_file(INTERSTICE_HELLO_MODULE, dir / "node" / "modules" / "hello.wasm");
  std::filesystem::create_directories(dir / "peer");

  node::NodeOptions options;
  options.data_dir = dir / "node";
  options.peer_port = 0;
  options.snapshot_every = 0;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  auto node = std::move(node::Node::create(options)).value();
  net::Identity peer =
      std::move(net::load_or_create_identity(interstice::base::Env::posix(), dir / "peer")).value();
  auto caller =
      std::move(net::PeerClient::connect("127.0.0.1", node->peer_port(), peer, nullptr)).value();
  auto subscriber =
      std::move(net::PeerClient::connect("127.0.0.1", node->peer_port(), peer, nullptr)).value();

  abi::TypeRegistry types;
  (void)abi::type_of<Greetings>(types);
  (void)subscriber->send(
      net::Message{net::Subscribe{1, "hello", "greetings", "Greetings", types.defs}});
  auto accepted = subscriber->receive();
  if (!accepted || !std::get<net::SubscribeResult>(accepted->value).ok) {
    fmt::print(stderr, "the subscription was refused\n");
    return 1;
  }
  subscriber->set_receive_timeout(30);
  std::atomic<int> events{0};
  clock_type::time_point last_event;
  std::thread receiving([&] {
    while (events < calls) {
      auto m = subscriber->receive();
      if (!m) return;
      if (std::holds_alternative<net::TableEvent>(m->value)) ++events;
    }
    last_event = clock_type::now();
  });

  // A sliding window of `window` calls in flight: every `refill` answers,
  // as many new calls go out (one thread, no spinning).
  const int window = 1000, refill = 100;
  std::vector<uint8_t> args = abi::to_bytes(std::make_tuple(std::string("bench")));
  int sent = 0, answered = 0, failed = 0;
  auto send_more = [&](int n) {
    for (int i = 0; i < n && sent < calls; ++i, ++sent)
      (void)caller->send_call(static_cast<uint64_t>(sent) + 1, "hello", "hello", args);
  };
  auto start = clock_type::now();
  send_more(window);
  while (answered + failed < calls) {
    auto r = caller->receive_result();
    if (!r) break;
    r->ok ? ++answered : ++failed;
    if ((answered + failed) % refill == 0) send_more(refill);
  }
  double call_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  receiving.join();
  double event_seconds = std::chrono::duration<double>(last_event - start).count();

  fmt::print(
      "Interstice node over loopback: hello(name) calls from a peer, each a durable\n"
      "transaction inserting a greeting (group commit), {} calls\n\n",
      calls);
  fmt::print("remote calls/s pipelined ({} in flight, real node): {:.0f} ({} failed)\n", window,
             answered / call_seconds, failed);
  fmt::print(
      "remote subscription events/s (one subscriber to hello.greetings): {:.0f} "
      "({} of {} received)\n",
      events.load() / event_seconds, events.load(), calls);
  fmt::print("\ntarget: >= 100,000 remote calls/s pipelined\n");
  caller.reset();
  subscriber.reset();
  node.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
