// Runtime throughput on one core, in memory: no-op reducer calls/s,
// single-row insert reducer calls/s, and subscription fan-out events/s (one
// insert -> 8 subscribed reducers).
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

std::unique_ptr<runtime::Runtime> make_runtime() {
  runtime::RuntimeOptions options;
  options.log_sink = [](const runtime::LogRecord&) {};
  auto rt = std::move(runtime::Runtime::create(options)).value();
  std::ifstream in(INTERSTICE_BENCH_MODULE, std::ios::binary);
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

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  if (argc == 3 && std::string(argv[1]) == "--seconds") seconds = std::atof(argv[2]);
  auto rt = make_runtime();
  auto no_args = [](uint64_t) { return std::vector<uint8_t>{}; };
  auto value = [](uint64_t i) { return abi::to_bytes(std::make_tuple(i)); };

  double noop = measure(*rt, "noop", no_args, seconds);
  double inserts = measure(*rt, "insert", value, seconds);
  size_t rows = rt->table("bench", "entries")->size();
  double emits = measure(*rt, "emit", value, seconds);
  fmt::print("Interstice runtime, one node, one core, in memory ({} s per figure)\n\n", seconds);
  fmt::print("| figure | measured | target |\n|---|---:|---:|\n");
  fmt::print("| no-op reducer calls/s | {:.0f} | >= 1,000,000 |\n", noop);
  fmt::print("| single-row insert calls/s ({} rows at the end) | {:.0f} | >= 500,000 |\n", rows,
             inserts);
  fmt::print("| fan-out events/s (1 insert -> 8 subscribers; {:.0f} inserts/s) | {:.0f} | |\n",
             emits, emits * 8);
  return 0;
}
