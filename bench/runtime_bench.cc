// Runtime throughput on one core, in memory: no-op reducer calls/s,
// single-row insert reducer calls/s, and subscription fan-out events/s (one
// insert -> 8 subscribed reducers), for the same module written with the C++
// SDK (modules/bench) and with the Rust SDK (modules/rust/bench), side by
// side with the Rust module's time per call relative to the C++ one's.
//
//   runtime_bench [--seconds S]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "abi/serialize.h"
#include "runtime/runtime.h"

using namespace interstice;

namespace {

std::unique_ptr<runtime::Runtime> make_runtime(const char* path) {
  runtime::RuntimeOptions options;
  options.log_sink = [](const runtime::LogRecord&) {};
  auto rt = std::move(runtime::Runtime::create(options)).value();
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), {});
  if (auto r = rt->load(wasm, "bench.wasm"); !r) {
    fmt::print(stderr, "{}\n", r.error().message);
    std::exit(1);
  }
  return rt;
}

// Calls `reducer` repeatedly for about `seconds`; returns calls per second.
template <typename Args>
double measure(runtime::Runtime& rt, const char* reducer, Args make_args, double seconds) {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  uint64_t calls = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 1000; ++i, ++calls) {
      std::vector<uint8_t> args = make_args(calls);
      if (auto r = rt.call("bench", reducer, args); !r) {
        fmt::print(stderr, "{}\n", r.error().message);
        std::exit(1);
      }
    }
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  return calls / elapsed;
}

struct Figures {
  double noop = 0, inserts = 0, emits = 0;
  size_t rows = 0;
};

Figures run(const char* module_path, double seconds) {
  auto rt = make_runtime(module_path);
  auto no_args = [](uint64_t) { return std::vector<uint8_t>{}; };
  auto value = [](uint64_t i) { return abi::to_bytes(std::make_tuple(i)); };
  Figures f;
  f.noop = measure(*rt, "noop", no_args, seconds);
  f.inserts = measure(*rt, "insert", value, seconds);
  f.rows = rt->table("bench", "entries")->size();
  f.emits = measure(*rt, "emit", value, seconds);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  if (argc == 3 && std::string(argv[1]) == "--seconds") seconds = std::atof(argv[2]);
  Figures cpp = run(INTERSTICE_BENCH_MODULE, seconds);
  Figures rust = run(INTERSTICE_RUST_BENCH_MODULE, seconds);
  // The Rust module's time per call over the C++ module's (target <= 1.5x).
  auto ratio = [](double cpp_rate, double rust_rate) { return cpp_rate / rust_rate; };
  fmt::print("Interstice runtime, one node, one core, in memory ({} s per figure)\n\n", seconds);
  fmt::print("| figure | C++ module | Rust module | Rust time/call vs C++ | target |\n");
  fmt::print("|---|---:|---:|---:|---:|\n");
  fmt::print(
      "| no-op reducer calls/s | {:.0f} | {:.0f} | {:.2f}x | C++ >= 1,000,000; Rust <= 1.5x |\n",
      cpp.noop, rust.noop, ratio(cpp.noop, rust.noop));
  fmt::print(
      "| single-row insert calls/s ({} and {} rows at the end) | {:.0f} | {:.0f} | {:.2f}x | C++ "
      ">= 500,000; Rust <= 1.5x |\n",
      cpp.rows, rust.rows, cpp.inserts, rust.inserts, ratio(cpp.inserts, rust.inserts));
  fmt::print(
      "| fan-out events/s (1 insert -> 8 subscribers) | {:.0f} | {:.0f} | {:.2f}x | Rust <= 1.5x "
      "|\n",
      cpp.emits * 8, rust.emits * 8, ratio(cpp.emits, rust.emits));
  return 0;
}
