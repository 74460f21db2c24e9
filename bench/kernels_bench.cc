// Runs the shared benchmark kernels natively and through the engine layer
// (fuel metering on, then off), checks every checksum against native, and
// prints kernel times, the ratio to native and the geomean.
//
//   engine_kernels_bench [--runs N] [--explain] [--kernel NAME] [--wasm-dir DIR]
//                        [--cache-dir DIR]
//
// --wasm-dir DIR runs the kernels found in DIR instead (to try build flags);
// --kernel NAME runs one kernel alone. --explain adds engines with one
// determinism setting changed (wasmtime's own fuel instead of the injected
// metering, no NaN canonicalization, no epoch checks, neither fuel nor
// epoch), to show where the time goes. Kernel time is the median over N runs
// of the `run(reps)` call alone (a fresh instance each run; compile and
// instantiate excluded), as the native harness times bench_run() alone.
// Each run times native and then every configuration in turn, so that they
// share the machine's conditions; the geomean of the fastest runs is printed
// too, as the figure least moved by other load.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

using namespace interstice::engine;

namespace {

// Which geomean a kernel counts in.
enum class Group { Shared, Float, HostCall };

struct Kernel {
  const char* name;
  uint32_t reps;
  Group group;
};
// The shared kernels run their bench_default_reps; the float kernels
// (bench/float_kernels) run about 100 ms natively.
constexpr Kernel kKernels[] = {
#if INTERSTICE_HAVE_SHARED_KERNELS
    {"fib", 5, Group::Shared},    {"sieve", 5, Group::Shared},      {"matmul", 10, Group::Shared},
    {"sha256", 2, Group::Shared}, {"hostcall", 1, Group::HostCall},
#endif
    {"nbody", 8, Group::Float},   {"normalize", 40, Group::Float},  {"iir", 12, Group::Float},
    {"fft", 12, Group::Float},    {"jacobi", 7, Group::Float},
};

// --kernel NAME: measure that kernel alone (empty: all of them).
std::string only_kernel;

bool selected(const Kernel& kernel) {
  return only_kernel.empty() || only_kernel == kernel.name;
}

// The times of one kernel in one configuration (or natively), over the runs.
struct Measurement {
  std::vector<double> times_ms;
  uint32_t checksum = 0;
  bool ok = true;

  // A failed run (nullopt) has no time and marks the measurement failed.
  void add(std::optional<uint32_t> result, double ms) {
    if (!result || (!times_ms.empty() && *result != checksum)) ok = false;
    if (!result) return;
    checksum = *result;
    times_ms.push_back(ms);
  }
  double median_ms() const {
    if (times_ms.empty()) return NAN;
    std::vector<double> sorted = times_ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
  double min_ms() const {
    return times_ms.empty() ? NAN : *std::min_element(times_ms.begin(), times_ms.end());
  }
};

// One native run of `kernel` (its own process); nullopt if it failed.
// `variant` is "" (clang -O2) or "-novec" (-O2 without auto-vectorization).
std::optional<uint32_t> run_native_once(const Kernel& kernel, const char* variant, double* ms) {
  static const std::regex result(R"(checksum=(\d+) ms=([0-9.]+))");
  std::string cmd =
      fmt::format("{}{}/{} {}", INTERSTICE_BENCH_NATIVE_DIR, variant, kernel.name, kernel.reps);
  FILE* pipe = popen(cmd.c_str(), "r");
  char line[512] = {};
  std::string out;
  while (pipe && fgets(line, sizeof line, pipe)) out += line;
  if (pipe) pclose(pipe);
  std::smatch match;
  if (!std::regex_search(out, match, result)) return std::nullopt;
  *ms = std::stod(match[2]);
  return static_cast<uint32_t>(std::stoul(match[1]));
}

// A kernel compiled by one engine, ready to run.
struct Loaded {
  std::optional<Module> module;
  std::unique_ptr<Linker> linker;
};

Loaded load_kernel(const std::shared_ptr<Engine>& engine, const std::string& dir,
                   const Kernel& kernel) {
  Loaded loaded;
  auto module = engine->load_file(fmt::format("{}/{}.wasm", dir, kernel.name));
  if (!module) {
    fmt::print(stderr, "{}\n", module.error().message);
    return loaded;
  }
  loaded.module = std::move(*module);
  loaded.linker = std::make_unique<Linker>(engine);
  (void)loaded.linker->define("env", "host_add",
                              [](Caller&, uint32_t a, uint32_t b) { return a + b; });
  return loaded;
}

// One run of `run(reps)` in a fresh instance (instantiation is not timed).
std::optional<uint32_t> run_wasm_once(const Loaded& loaded, const Kernel& kernel, double* ms) {
  if (!loaded.module) return std::nullopt;
  auto instance = Instance::create(*loaded.linker, *loaded.module);
  if (!instance) return std::nullopt;
  auto run = (*instance)->typed<uint32_t(uint32_t)>("run");
  if (!run) return std::nullopt;
  auto start = std::chrono::steady_clock::now();
  auto checksum = (*run)(kernel.reps);
  auto end = std::chrono::steady_clock::now();
  if (!checksum) {
    fmt::print(stderr, "{}\n", checksum.error().message);
    return std::nullopt;
  }
  *ms = std::chrono::duration<double, std::milli>(end - start).count();
  return *checksum;
}

// One engine configuration to compare against native.
struct Setup {
  const char* label;
  std::shared_ptr<Engine> engine;
};

// `change` edits the node's configuration (fuel by injected metering, NaN
// canonicalization and epoch interruption on).
// --cache-dir DIR: where the engines keep the compiled code (none by
// default), to disassemble it: each entry is a 56-byte header and an ELF
// object (docs/engine.md, "Compiled-module cache").
std::string cache_dir;

template <typename Change>
Setup make_setup(const char* label, Change change) {
  EngineConfig config;
  config.fuel_per_call = UINT64_MAX / 2;
  config.cache_dir = cache_dir;
  change(config);
  return Setup{label, std::move(Engine::create(config)).value()};
}

// Sums of log ratios for one geomean row, per configuration.
struct Geomean {
  std::vector<double> log_sum, log_sum_min, log_sum_novec;
  int count = 0;
  explicit Geomean(size_t setups)
      : log_sum(setups, 0.0), log_sum_min(setups, 0.0), log_sum_novec(setups, 0.0) {}
  void add(size_t setup, const Measurement& wasm, const Measurement& native,
           const Measurement& novec) {
    log_sum[setup] += std::log(wasm.median_ms() / native.median_ms());
    log_sum_min[setup] += std::log(wasm.min_ms() / native.min_ms());
    log_sum_novec[setup] += std::log(wasm.median_ms() / novec.median_ms());
  }
  void print(const char* label) const {
    if (count == 0) return;
    fmt::print("| **geomean, {}** | | |", label);
    for (size_t i = 0; i < log_sum.size(); ++i)
      fmt::print(" | **{:.2f}x** | {:.2f}x |", std::exp(log_sum[i] / count),
                 std::exp(log_sum_novec[i] / count));
    fmt::print("\n| geomean, {}, fastest runs (min / min) | | |", label);
    for (size_t i = 0; i < log_sum.size(); ++i)
      fmt::print(" | {:.2f}x | |", std::exp(log_sum_min[i] / count));
    fmt::print("\n");
  }
};

// Prints one table (one module flavour) and returns false on a checksum
// mismatch. Each run times the kernel natively (with and without
// auto-vectorization) and then in every configuration, one after the other,
// so that all of them see the same machine: on a shared machine whose speed
// drifts, measuring native first and wasm minutes later skews the ratios by
// more than the differences being measured.
bool run_flavour(const char* title, const std::string& dir, const std::vector<Setup>& setups,
                 int runs) {
  fmt::print("\n{}\n\n| kernel | native ms | native, no vectorize ms |", title);
  for (const Setup& s : setups) fmt::print(" {} ms | ratio | ratio vs no vectorize |", s.label);
  fmt::print("\n|---|---:|---:|");
  for (size_t i = 0; i < setups.size(); ++i) fmt::print("---:|---:|---:|");
  fmt::print("\n");
  Geomean shared(setups.size()), floats(setups.size()), all(setups.size());
  std::vector<double> hostcall_ns(setups.size(), 0.0);
  double native_hostcall_ns = 0;
  bool all_ok = true;
  for (const Kernel& kernel : kKernels) {
    if (!selected(kernel)) continue;
    std::vector<Loaded> loaded;
    for (const Setup& setup : setups) loaded.push_back(load_kernel(setup.engine, dir, kernel));
    Measurement native, novec;
    std::vector<Measurement> wasm(setups.size());
    for (int r = 0; r < runs; ++r) {
      double ms = 0;
      std::optional<uint32_t> result = run_native_once(kernel, "", &ms);
      native.add(result, ms);
      result = run_native_once(kernel, "-novec", &ms);
      novec.add(result, ms);
      for (size_t i = 0; i < setups.size(); ++i) {
        result = run_wasm_once(loaded[i], kernel, &ms);
        wasm[i].add(result, ms);
      }
    }
    fmt::print("| {} | {:.2f} | {:.2f} |", kernel.name, native.median_ms(), novec.median_ms());
    bool native_ok = native.ok && novec.ok && novec.checksum == native.checksum;
    for (size_t i = 0; i < setups.size(); ++i) {
      const Measurement& w = wasm[i];
      bool ok = native_ok && w.ok && w.checksum == native.checksum;
      all_ok = all_ok && ok;
      fmt::print(" {:.2f} | {:.2f}x{} | {:.2f}x |", w.median_ms(),
                 w.median_ms() / native.median_ms(), ok ? "" : " CHECKSUM MISMATCH",
                 w.median_ms() / novec.median_ms());
      if (kernel.group == Group::HostCall) {
        hostcall_ns[i] = w.median_ms() * 1e6 / 10e6;
        continue;
      }
      (kernel.group == Group::Shared ? shared : floats).add(i, w, native, novec);
      all.add(i, w, native, novec);
    }
    fmt::print("\n");
    if (kernel.group == Group::Shared) ++shared.count;
    if (kernel.group == Group::Float) ++floats.count;
    if (kernel.group != Group::HostCall) ++all.count;
    if (kernel.group == Group::HostCall) native_hostcall_ns = native.median_ms() * 1e6 / 10e6;
  }
  shared.print("fib, sieve, matmul, sha256");
  floats.print("float kernels");
  if (shared.count > 0 && floats.count > 0) all.print("all kernels");
  if (native_hostcall_ns > 0) {
    fmt::print("| wasm->host call, ns (hostcall / 10M) | {:.2f} | |", native_hostcall_ns);
    for (size_t i = 0; i < setups.size(); ++i) fmt::print(" {:.2f} | | |", hostcall_ns[i]);
    fmt::print("\n");
  }
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
    else if (arg == "--kernel" && i + 1 < argc)
      only_kernel = argv[++i];
    else if (arg == "--wasm-dir" && i + 1 < argc)
      wasm_dir = argv[++i];
    else if (arg == "--cache-dir" && i + 1 < argc)
      cache_dir = argv[++i];
    else {
      fmt::print(
          stderr,
          "usage: engine_kernels_bench [--runs N] [--explain] [--kernel NAME] [--wasm-dir DIR] "
          "[--cache-dir DIR]\n");
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
    // wasmtime and Cranelift alone, with no determinism setting: the floor
    // that instrumentation-level changes cannot go below.
    setups.push_back(make_setup("wasmtime alone", [](EngineConfig& c) {
      c.consume_fuel = false;
      c.epoch_interruption = false;
      c.nan_canonicalization = false;
    }));
  }
  fmt::print("Interstice engine kernels: wasmtime {}, kernel time = median of {} runs\n",
             wasmtime_version(), runs);
  if (!wasm_dir.empty()) {
    bool ok = run_flavour(("Modules from " + wasm_dir + ":").c_str(), wasm_dir, setups, runs);
    return ok ? 0 : 1;
  }
  bool ok = run_flavour("Modules built for wasm32 MVP, -O2 (as the peer figures):",
                        INTERSTICE_BENCH_WASM_DIR, setups, runs);
  ok = run_flavour("Modules built with -O3 -msimd128 (as the SDK builds modules):",
                   INTERSTICE_BENCH_WASM_DIR "-simd", setups, runs) &&
       ok;
  fmt::print(
      "\ntargets, fuel on: -msimd128 geomean of fib, sieve, matmul, sha256 <= 1.5x; plain build: "
      "each float kernel <= 1.5x, geomean of all kernels <= 1.3x; wasm->host call <= 10 ns\n");
  return ok ? 0 : 1;
}
