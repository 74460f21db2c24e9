#include "engine/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>

#include "engine/instrumentation.h"
#include "engine/module_cache.h"
#include "engine/wasmtime_support.h"

namespace interstice::engine {

namespace {

// Every setting here is part of the determinism contract; docs/engine.md
// gives the reason for each.
wasm_config_t* make_wasmtime_config(const EngineConfig& config) {
  wasm_config_t* c = wasm_config_new();
  wasmtime_config_strategy_set(c, WASMTIME_STRATEGY_CRANELIFT);
  wasmtime_config_cranelift_opt_level_set(c, WASMTIME_OPT_LEVEL_SPEED);
  wasmtime_config_parallel_compilation_set(c, true);
  wasmtime_config_consume_fuel_set(c, config.consume_fuel && config.wasmtime_fuel);
  wasmtime_config_epoch_interruption_set(c,
                                         config.epoch_interruption && !config.injected_metering());
  wasmtime_config_cranelift_nan_canonicalization_set(
      c, config.nan_canonicalization && !config.injected_metering());
  wasmtime_config_max_wasm_stack_set(c, config.max_wasm_stack);
  // Threads: the C API is built without the `threads` feature, so wasm
  // threads and atomics-based waiting are compiled out altogether.
  wasmtime_config_shared_memory_set(c, false);
  wasmtime_config_wasm_relaxed_simd_set(c, false);
  wasmtime_config_wasm_relaxed_simd_deterministic_set(c, true);
  // The injected metering adds a memory (the control word) to every module.
  wasmtime_config_wasm_multi_memory_set(c, true);
  // A proposal whose instructions the fuel-metering rewriter does not know.
  // (GC types and exceptions are compiled out with `gc`; the rewriter knows
  // function references and the GC instructions wasmtime still validates.)
  wasmtime_config_wasm_wide_arithmetic_set(c, false);
  // Branch hints place code, never change what it computes: the rewriter
  // marks its slow paths unlikely so that Cranelift moves them out of line.
  wasmtime_config_wasm_branch_hinting_set(c, config.injected_metering());
  return c;
}

Result<std::vector<uint8_t>> read_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    if (!std::filesystem::exists(file, ec))
      return make_error(fmt::format("{}: no such file", file.string()));
    return make_error(fmt::format("{}: not a regular file", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(fmt::format("{}: cannot open for reading", file.string()));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

bool looks_like_binary_wasm(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' &&
         bytes[3] == 'm';
}

}  // namespace

Engine::Engine(EngineConfig config, wasm_engine_t* engine)
    : config_(std::move(config)), engine_(engine) {
  if (!config_.cache_dir.empty())
    cache_ = std::make_unique<ModuleCache>(config_.cache_dir, config_.code_fingerprint());
}

Engine::~Engine() {
  wasm_engine_delete(engine_);
}

Result<std::shared_ptr<Engine>> Engine::create(EngineConfig config) {
  if (config.max_wasm_stack < 64 * 1024)
    return make_error("engine: max_wasm_stack must be at least 64 KiB");
  wasm_engine_t* engine = wasm_engine_new_with_config(make_wasmtime_config(config));
  if (engine == nullptr) return make_error("engine: wasmtime rejected the configuration");
  return std::shared_ptr<Engine>(new Engine(std::move(config), engine));
}

Result<Module> Engine::compile(std::span<const uint8_t> wasm, const std::string& name) {
  if (config_.injected_metering()) {
    // Validate first: the rewriter trusts its input. An invalid module falls
    // through to wasmtime_module_new on the bytes as written, which fails
    // with wasmtime's full message about them.
    if (wasmtime_error_t* error = wasmtime_module_validate(engine_, wasm.data(), wasm.size())) {
      wasmtime_error_delete(error);
      return compile_as_is(wasm, name);
    }
    Result<std::vector<uint8_t>> rewritten =
        instrument_module(wasm, {.interruptible = config_.epoch_interruption,
                                 .canonicalize_nans = config_.nan_canonicalization});
    if (!rewritten) return make_error(fmt::format("{}: {}", name, rewritten.error().message));
    return compile_as_is(*rewritten, name);
  }
  return compile_as_is(wasm, name);
}

Result<Module> Engine::compile_as_is(std::span<const uint8_t> wasm, const std::string& name) {
  wasmtime_module_t* module = nullptr;
  if (wasmtime_error_t* error = wasmtime_module_new(engine_, wasm.data(), wasm.size(), &module))
    return detail::take_error(error, name);
  return Module(shared_from_this(),
                std::shared_ptr<wasmtime_module_t>(module, wasmtime_module_delete), name, false);
}

Result<Module> Engine::load(std::span<const uint8_t> wasm, std::string_view name_view) {
  std::string name(name_view);
  if (!cache_) return compile(wasm, name);

  ModuleCache::Key key = cache_->key_for(wasm);
  std::string problem;
  if (auto serialized = cache_->read(key, &problem)) {
    wasmtime_module_t* module = nullptr;
    wasmtime_error_t* error =
        wasmtime_module_deserialize(engine_, serialized->data(), serialized->size(), &module);
    if (error == nullptr)
      return Module(shared_from_this(),
                    std::shared_ptr<wasmtime_module_t>(module, wasmtime_module_delete), name, true);
    problem = fmt::format("cache entry {} rejected by wasmtime: {}", cache_->path_for(key).string(),
                          detail::take_error(error, "").message);
  }
  if (!problem.empty()) spdlog::warn("module '{}': {}; recompiling", name, problem);

  Result<Module> compiled = compile(wasm, name);
  if (!compiled) return compiled;
  wasm_byte_vec_t serialized;
  if (wasmtime_error_t* error = wasmtime_module_serialize(compiled->raw(), &serialized)) {
    spdlog::warn("module '{}': not cached: {}", name, detail::take_error(error, "").message);
    return compiled;
  }
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(serialized.data),
                                 serialized.size);
  if (!cache_->write(key, bytes, &problem))
    spdlog::warn("module '{}': not cached: {}", name, problem);
  wasm_byte_vec_delete(&serialized);
  return compiled;
}

Result<Module> Engine::load_file(const std::filesystem::path& file) {
  Result<std::vector<uint8_t>> bytes = read_file(file);
  if (!bytes) return bytes.take_error();
  if (looks_like_binary_wasm(*bytes) || file.extension() != ".wat")
    return load(*bytes, file.string());
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  Result<std::vector<uint8_t>> wasm = wat_to_wasm(text);
  if (!wasm) return make_error(fmt::format("{}: {}", file.string(), wasm.error().message));
  return load(*wasm, file.string());
}

void Engine::interrupt() {
  wasmtime_engine_increment_epoch(engine_);
  base::MutexLock lock(control_words_mutex_);
  for (int64_t* word : control_words_)
    std::atomic_ref<int64_t>(*word).store(INT64_MAX, std::memory_order_relaxed);
}

void Engine::register_control_word(int64_t* word) {
  base::MutexLock lock(control_words_mutex_);
  control_words_.push_back(word);
}

void Engine::unregister_control_word(int64_t* word) {
  base::MutexLock lock(control_words_mutex_);
  std::erase(control_words_, word);
}

Result<std::vector<uint8_t>> wat_to_wasm(std::string_view wat) {
  wasm_byte_vec_t out;
  if (wasmtime_error_t* error = wasmtime_wat2wasm(wat.data(), wat.size(), &out))
    return detail::take_error(error, "invalid WebAssembly text");
  std::vector<uint8_t> bytes(out.data, out.data + out.size);
  wasm_byte_vec_delete(&out);
  return bytes;
}

const char* wasmtime_version() {
  return WASMTIME_VERSION;
}

}  // namespace interstice::engine
