// Call-overhead and load-time benchmarks (Google Benchmark):
//   - host->wasm call of an empty export, on the typed and the generic path;
//   - wasm->host call of a typed host function (per call, loop included);
//   - cold compile and cached load (+ instantiate) of the ~1 MB module.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

using namespace interstice::engine;

namespace {

std::shared_ptr<Engine> make_engine(std::filesystem::path cache_dir = {}) {
  EngineConfig config;
  config.cache_dir = std::move(cache_dir);
  return std::move(Engine::create(config)).value();
}

std::unique_ptr<Instance> instantiate(const std::shared_ptr<Engine>& engine, const Linker& linker,
                                      std::string_view wat) {
  auto module = engine->load(*wat_to_wasm(wat), "bench");
  return std::move(Instance::create(linker, *module)).value();
}

void BM_HostToWasmEmptyCallTyped(benchmark::State& state) {
  auto engine = make_engine();
  Linker linker(engine);
  auto instance = instantiate(engine, linker, R"((module (func (export "empty"))))");
  auto empty = std::move(instance->typed<void()>("empty")).value();
  for (auto _ : state) benchmark::DoNotOptimize(empty().ok());
}
BENCHMARK(BM_HostToWasmEmptyCallTyped);

void BM_HostToWasmEmptyCallGeneric(benchmark::State& state) {
  auto engine = make_engine();
  Linker linker(engine);
  auto instance = instantiate(engine, linker, R"((module (func (export "empty"))))");
  for (auto _ : state) benchmark::DoNotOptimize(instance->call("empty", {}).ok());
}
BENCHMARK(BM_HostToWasmEmptyCallGeneric);

constexpr int kHostCallsPerIteration = 1'000'000;

void BM_WasmToHostCall(benchmark::State& state) {
  auto engine = make_engine();
  Linker linker(engine);
  (void)linker.define("env", "host_add", [](Caller&, uint32_t a, uint32_t b) { return a + b; });
  auto instance = instantiate(engine, linker, R"((module
    (import "env" "host_add" (func $add (param i32 i32) (result i32)))
    (func (export "run") (param $n i32) (result i32) (local $acc i32)
      (block (loop
        local.get $n i32.eqz br_if 1
        local.get $acc local.get $n call $add local.set $acc
        local.get $n i32.const 1 i32.sub local.set $n
        br 0))
      local.get $acc)))");
  auto run = std::move(instance->typed<uint32_t(uint32_t)>("run")).value();
  for (auto _ : state) benchmark::DoNotOptimize(*run(kHostCallsPerIteration));
  state.counters["ns_per_call"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kHostCallsPerIteration,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_WasmToHostCall)->Unit(benchmark::kMillisecond);

std::vector<uint8_t> big_module() {
  std::ifstream in(INTERSTICE_BENCH_WASM_DIR "/big1mb.wasm", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void BM_BigModuleColdCompile(benchmark::State& state) {
  auto engine = make_engine();
  std::vector<uint8_t> wasm = big_module();
  for (auto _ : state) benchmark::DoNotOptimize(engine->load(wasm, "big1mb").ok());
  state.counters["wasm_bytes"] = static_cast<double>(wasm.size());
}
BENCHMARK(BM_BigModuleColdCompile)->Unit(benchmark::kMillisecond)->Iterations(3);

class CacheDir {
 public:
  CacheDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "interstice-bench-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~CacheDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void BM_BigModuleCachedLoad(benchmark::State& state) {
  CacheDir dir;
  auto engine = make_engine(dir.path());
  std::vector<uint8_t> wasm = big_module();
  if (!engine->load(wasm, "big1mb").ok()) state.SkipWithError("compile failed");
  for (auto _ : state) {
    auto module = engine->load(wasm, "big1mb");
    if (!module || !module->from_cache()) state.SkipWithError("not loaded from the cache");
  }
}
BENCHMARK(BM_BigModuleCachedLoad)->Unit(benchmark::kMillisecond);

void BM_BigModuleInstantiate(benchmark::State& state) {
  auto engine = make_engine();
  auto module = std::move(engine->load(big_module(), "big1mb")).value();
  Linker linker(engine);
  for (auto _ : state) benchmark::DoNotOptimize(Instance::create(linker, module).ok());
}
BENCHMARK(BM_BigModuleInstantiate)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
