// Durable-node figures: single-row insert transactions/s through a node in
// `sync` and `group` durability, recovery speed (records re-applied per
// second), `replay --verify` speed, and log bytes per transaction.
//
//   storage_bench [--seconds S] [--clients N]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "abi/serialize.h"
#include "node/json_api.h"
#include "node/log_tools.h"
#include "node/node.h"

using namespace interstice;
using json = nlohmann::ordered_json;

namespace {

class DataDir {
 public:
  DataDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "interstice-bench-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
    std::filesystem::create_directories(path_ / "modules");
    std::filesystem::copy_file(INTERSTICE_BENCH_MODULE, path_ / "modules" / "bench.wasm");
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<node::Node> start(const std::filesystem::path& dir,
                                  storage::Durability durability) {
  node::NodeOptions options;
  options.data_dir = dir;
  options.log.durability = durability;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  auto node = node::Node::create(options);
  if (!node) {
    fmt::print(stderr, "{}\n", node.error().message);
    std::exit(1);
  }
  return std::move(node).value();
}

// Insert calls from `clients` threads for about `seconds`; acknowledged calls/s.
double inserts_per_second(node::Node& node, int clients, double seconds) {
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      for (uint64_t i = 0; !stop; ++i) {
        if (auto called = call_json(node, "bench", "insert", json::array({i * 64 + c})); !called) {
          fmt::print(stderr, "{}\n", called.error().message);
          std::exit(1);
        }
        ++done;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return done / elapsed;
}

// One pipelining client: submits insert calls with up to `window` awaiting
// acknowledgement, for about `seconds`; acknowledged calls/s.
double pipelined_inserts_per_second(node::Node& node, uint64_t window, double seconds) {
  std::atomic<uint64_t> acked{0};
  uint64_t submitted = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 1000; ++i) {
      while (submitted - acked.load() >= window) std::this_thread::yield();
      node.submit("bench", "insert", abi::to_bytes(std::make_tuple(submitted)),
                  [&](base::Result<void> durable) {
                    if (!durable) {
                      fmt::print(stderr, "{}\n", durable.error().message);
                      std::exit(1);
                    }
                    ++acked;
                  });
      ++submitted;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  while (acked.load() < submitted) std::this_thread::yield();
  elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return acked / elapsed;
}

uint64_t log_bytes(const std::filesystem::path& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "log")) bytes += e.file_size();
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int clients = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (arg == "--clients")
      clients = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::warn);  // no per-node start-up lines between the figures
  fmt::print("Interstice durable node: one node, {} client threads, {} s per figure\n\n", clients,
             seconds);
  fmt::print("| figure | measured | target |\n|---|---:|---:|\n");
  {
    DataDir dir;
    auto node = start(dir.path(), storage::Durability::Sync);
    fmt::print("| durable inserts/s, sync (fsync per transaction) | {:.0f} | |\n",
               inserts_per_second(*node, clients, seconds));
  }
  DataDir dir;
  uint64_t transactions = 0;
  {
    auto node = start(dir.path(), storage::Durability::Group);
    double group_blocking = inserts_per_second(*node, clients, seconds);
    fmt::print("| durable inserts/s, group, {} blocking clients | {:.0f} | |\n", clients,
               group_blocking);
    double group = pipelined_inserts_per_second(*node, 20000, seconds);
    fmt::print(
        "| durable inserts/s, group, one pipelining client (20,000 in flight) | {:.0f} | >= "
        "200,000 |\n",
        group);
  }
  node::ReplayOptions apply;
  auto recovered = node::replay_log(base::Env::posix(), dir.path(), apply);
  if (!recovered) {
    fmt::print(stderr, "{}\n", recovered.error().message);
    return 1;
  }
  transactions = recovered->transactions;
  fmt::print("| recovery: records re-applied/s ({} records) | {:.0f} | >= 1,000,000 |\n",
             transactions, transactions / recovered->seconds);
  node::ReplayOptions verify;
  verify.verify = true;
  auto verified = node::replay_log(base::Env::posix(), dir.path(), verify);
  if (!verified || verified->divergence) {
    fmt::print(stderr, "replay --verify failed\n");
    return 1;
  }
  fmt::print("| replay --verify: transactions re-executed/s | {:.0f} | >= 300,000 |\n",
             verified->transactions / verified->seconds);
  fmt::print("| log bytes per transaction | {:.1f} | |\n",
             double(log_bytes(dir.path())) / transactions);
  return 0;
}
