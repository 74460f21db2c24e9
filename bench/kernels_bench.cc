// Runs the shared benchmark kernels natively and through the engine layer
// (fuel metering on, then off), checks every checksum against native, and
// prints kernel times, the ratio to native and the geomean.
//
//   engine_kernels_bench [--runs N]
//
// --wasm-dir DIR runs the kernels found in DIR instead (to try build flags).
// --explain adds engines with one determinism setting changed (wasmtime's
// own fuel instead of the injected metering, no NaN canonicalization, no
// epoch checks, neither fuel nor epoch), to show where the time goes. Kernel time is the median
// over N runs of the `run(reps)` call alone (a fresh instance each run; compile and instantiate
// excluded), as the native harness times bench_run() alone.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

using namespace interstice::engine;

namespace {

struct Kernel {
  const char* name;
  uint32_t reps;
};
// bench_default_reps of each kernel source.
constexpr Kernel kKernels[] = {
    {"fib", 5}, {"sieve", 5}, {"matmul", 10}, {"sha256", 2}, {"hostcall", 1}};

struct Measurement {
  double median_ms = 0;
  uint32_t checksum = 0;
  uint64_t fuel = 0;
  bool ok = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Measurement run_native(const Kernel& kernel, int runs) {
  Measurement m;
  std::vector<double> times;
  std::regex result(R"(checksum=(\d+) ms=([0-9.]+))");
  for (int i = 0; i < runs; ++i) {
    std::string cmd =
        fmt::format("{}/{} {}", INTERSTICE_BENCH_NATIVE_DIR, kernel.name, kernel.reps);
    FILE* pipe = popen(cmd.c_str(), "r");
    char line[512] = {};
    std::string out;
    while (pipe && fgets(line, sizeof line, pipe)) out += line;
    if (pipe) pclose(pipe);
    std::smatch match;
    if (!std::regex_search(out, match, result)) return m;
    m.checksum = static_cast<uint32_t>(std::stoul(match[1]));
    times.push_back(std::stod(match[2]));
  }
  m.median_ms = median(times);
  m.ok = true;
  return m;
}

Measurement run_wasm(const std::shared_ptr<Engine>& engine, const std::string& dir,
                     const Kernel& kernel, int runs) {
  Measurement m;
  auto module = engine->load_file(fmt::format("{}/{}.wasm", dir, kernel.name));
  if (!module) {
    fmt::print(stderr, "{}\n", module.error().message);
    return m;
  }
  Linker linker(engine);
  (void)linker.define("env", "host_add", [](Caller&, uint32_t a, uint32_t b) { return a + b; });
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto instance = Instance::create(linker, *module);
    if (!instance) return m;
    auto run = (*instance)->typed<uint32_t(uint32_t)>("run");
    if (!run) return m;
    auto start = std::chrono::steady_clock::now();
    auto checksum = (*run)(kernel.reps);
    auto end = std::chrono::steady_clock::now();
    if (!checksum) {
      fmt::print(stderr, "{}\n", checksum.error().message);
      return m;
    }
    m.checksum = *checksum;
    m.fuel = (*instance)->last_call_fuel();
    times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  m.median_ms = median(times);
  m.ok = true;
  return m;
}

// One engine configuration to compare against native.
struct Setup {
  const char* label;
  std::shared_ptr<Engine> engine;
};

// `change` edits the node's configuration (fuel by injected metering, NaN
// canonicalization and epoch interruption on).
template <typename Change>
Setup make_setup(const char* label, Change change) {
  EngineConfig config;
  config.fuel_per_call = UINT64_MAX / 2;
  change(config);
  return Setup{label, std::move(Engine::create(config)).value()};
}

// Prints one table (one module flavour) and returns false on a checksum mismatch.
bool run_flavour(const char* title, const std::string& dir, const std::vector<Setup>& setups,
                 const std::map<std::string, Measurement>& native, int runs) {
  fmt::print("\n{}\n\n| kernel | native ms |", title);
  for (const Setup& s : setups) fmt::print(" {} ms | ratio |", s.label);
  fmt::print("\n|---|---:|");
  for (size_t i = 0; i < setups.size(); ++i) fmt::print("---:|---:|");
  fmt::print("\n");
  std::vector<double> log_sum(setups.size(), 0.0);
  std::vector<double> hostcall_ns(setups.size(), 0.0);
  int geomean_count = 0;
  bool all_ok = true;
  for (const Kernel& kernel : kKernels) {
    const Measurement& n = native.at(kernel.name);
    fmt::print("| {} | {:.2f} |", kernel.name, n.median_ms);
    bool in_geomean = std::string(kernel.name) != "hostcall";
    for (size_t i = 0; i < setups.size(); ++i) {
      Measurement w = run_wasm(setups[i].engine, dir, kernel, runs);
      bool ok = n.ok && w.ok && w.checksum == n.checksum;
      all_ok = all_ok && ok;
      double ratio = w.median_ms / n.median_ms;
      fmt::print(" {:.2f} | {:.2f}x{} |", w.median_ms, ratio, ok ? "" : " CHECKSUM MISMATCH");
      if (in_geomean)
        log_sum[i] += std::log(ratio);
      else
        hostcall_ns[i] = w.median_ms * 1e6 / 10e6;
    }
    fmt::print("\n");
    if (in_geomean) ++geomean_count;
  }
  fmt::print("| **geomean** (fib, sieve, matmul, sha256) | |");
  for (size_t i = 0; i < setups.size(); ++i)
    fmt::print(" | **{:.2f}x** |", std::exp(log_sum[i] / geomean_count));
  fmt::print("\n| wasm->host call, ns (hostcall / 10M) | {:.2f} |",
             native.at("hostcall").median_ms * 1e6 / 10e6);
  for (size_t i = 0; i < setups.size(); ++i) fmt::print(" {:.2f} | |", hostcall_ns[i]);
  fmt::print("\n");
  return all_ok;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  bool explain = false;
  std::string wasm_dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--explain")
      explain = true;
    else if (arg == "--wasm-dir" && i + 1 < argc)
      wasm_dir = argv[++i];
    else {
      fmt::print(stderr, "usage: engine_kernels_bench [--runs N] [--explain] [--wasm-dir DIR]\n");
      return 2;
    }
  }
  std::vector<Setup> setups;
  setups.push_back(make_setup("fuel on", [](EngineConfig&) {}));
  setups.push_back(make_setup("fuel off", [](EngineConfig& c) { c.consume_fuel = false; }));
  if (explain) {
    // Each changes one determinism setting, to show what it costs. Not for use.
    setups.push_back(
        make_setup("wasmtime's fuel instead", [](EngineConfig& c) { c.wasmtime_fuel = true; }));
    setups.push_back(make_setup("fuel on, no NaN canon.",
                                [](EngineConfig& c) { c.nan_canonicalization = false; }));
    setups.push_back(
        make_setup("fuel on, no epoch", [](EngineConfig& c) { c.epoch_interruption = false; }));
    setups.push_back(make_setup("no fuel, no epoch", [](EngineConfig& c) {
      c.consume_fuel = false;
      c.epoch_interruption = false;
    }));
  }
  fmt::print("Interstice engine kernels: wasmtime {}, kernel time = median of {} runs\n",
             wasmtime_version(), runs);
  std::map<std::string, Measurement> native;
  for (const Kernel& kernel : kKernels) native[kernel.name] = run_native(kernel, runs);
  if (!wasm_dir.empty()) {
    bool ok =
        run_flavour(("Modules from " + wasm_dir + ":").c_str(), wasm_dir, setups, native, runs);
    return ok ? 0 : 1;
  }
  bool ok =
      run_flavour("Modules built for wasm32 MVP (as the peer figures):", INTERSTICE_BENCH_WASM_DIR,
                  setups, native, runs);
  ok = run_flavour("Modules built with -msimd128 (as the SDK builds modules):",
                   INTERSTICE_BENCH_WASM_DIR "-simd", setups, native, runs) &&
       ok;
  fmt::print("\ntargets: geomean <= 1.5x native with fuel on; wasm->host call <= 10 ns\n");
  return ok ? 0 : 1;
}
