// Modules in parallel: calls/s of an in-process node with 1, 2 and 4 busy
// modules (busy1..busy4, independent of each other) on 1 and 2 executors,
// for a no-op reducer, a one-row insert and a CPU-bound reducer (spin:
// 20,000 steps, about 40 µs). One client thread per module
// keeps 64 calls in flight through Node::submit (the path of pipelined
// clients); durability none, so the figures are the executors' own.
//
//   parallel_bench [seconds per figure, default 1.5]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "abi/serialize.h"
#include "node/node.h"

using namespace interstice;

namespace {

struct Figure {
  double calls_per_second = 0;
  uint64_t failures = 0;
};

enum class Work { Noop, Insert, Spin };

const char* name_of(Work work) {
  return work == Work::Noop ? "noop" : work == Work::Insert ? "insert" : "spin";
}

Figure measure(uint32_t executors, uint32_t modules, Work work, double seconds) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("interstice-parallel-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "modules");
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  for (uint32_t m = 1; m <= modules; ++m)
    std::filesystem::copy_file(fmt::format("{}/busy{}.wasm", INTERSTICE_WASM_DIR, m),
                               dir / "modules" / fmt::format("busy{}.wasm", m));
  node::NodeOptions options;
  options.data_dir = dir;
  options.executors = executors;
  options.log.durability = storage::Durability::None;
  options.snapshot_every = 0;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  auto created = node::Node::create(options);
  if (!created) {
    fmt::print(stderr, "node: {}\n", created.error().message);
    std::exit(1);
  }
  std::unique_ptr<node::Node> node = std::move(created).value();

  constexpr int kWindow = 64;  // calls in flight per client
  std::atomic<uint64_t> done{0}, failures{0};
  std::atomic<bool> stop{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (uint32_t m = 1; m <= modules; ++m)
    clients.emplace_back([&, m] {
      std::string module = fmt::format("busy{}", m);
      std::mutex mutex;
      std::condition_variable freed;
      int in_flight = 0;
      for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        {
          std::unique_lock lock(mutex);
          if (in_flight == kWindow) freed.wait(lock, [&] { return in_flight <= kWindow / 2; });
          ++in_flight;
        }
        std::vector<uint8_t> args = work == Work::Insert ? abi::to_bytes(std::make_tuple(n))
                                    : work == Work::Spin ? abi::to_bytes(std::make_tuple(20'000u))
                                                         : abi::to_bytes(std::make_tuple());
        node->submit(module, name_of(work), std::move(args), [&](base::Result<void> r) {
          if (!r) failures.fetch_add(1);
          done.fetch_add(1, std::memory_order_relaxed);
          std::lock_guard lock(mutex);
          // The client refills once half its window is free.
          if (--in_flight == kWindow / 2 || in_flight == 0) freed.notify_one();
        });
      }
      std::unique_lock lock(mutex);
      freed.wait(lock, [&] { return in_flight == 0; });
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  uint64_t counted = done.load();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  for (std::thread& c : clients) c.join();
  node.reset();
  std::filesystem::remove_all(dir);
  return Figure{counted / elapsed, failures.load()};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 1.5;
  spdlog::set_level(spdlog::level::warn);
  fmt::print("in-process calls/s through Node::submit, durability none, {} s each, {} cores\n",
             seconds, std::thread::hardware_concurrency());
  fmt::print("{:<8} {:>8} {:>14} {:>14}\n", "reducer", "modules", "1 executor", "2 executors");
  for (Work work : {Work::Noop, Work::Insert, Work::Spin})
    for (uint32_t modules : {1u, 2u, 4u}) {
      Figure one = measure(1, modules, work, seconds);
      Figure two = measure(2, modules, work, seconds);
      fmt::print("{:<8} {:>8} {:>14.0f} {:>14.0f}{}\n", name_of(work), modules,
                 one.calls_per_second, two.calls_per_second,
                 one.failures + two.failures
                     ? fmt::format("  ({} failed)", one.failures + two.failures)
                     : "");
    }
  return 0;
}
