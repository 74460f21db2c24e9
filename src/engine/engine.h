// Engine: the one wasmtime engine of a node, configured for determinism
// (see EngineConfig), with the compiled-module cache in front of it.
// Engines are shared (std::shared_ptr) because every Module, Linker and
// Instance made from one keeps it alive. All methods are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "engine/engine_config.h"
#include "engine/module.h"
#include "engine/result.h"

typedef struct wasm_engine_t wasm_engine_t;

namespace interstice::engine {

class ModuleCache;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  [[nodiscard]] static Result<std::shared_ptr<Engine>> create(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineConfig& config() const { return config_; }

  // Validates and compiles a binary module, or loads it from the cache when
  // the same bytes were compiled before with the same settings and wasmtime
  // version. `name` names the module in errors and backtraces.
  Result<Module> load(std::span<const uint8_t> wasm, std::string_view name);
  // Reads FILE (binary .wasm, or text .wat) and loads it; the name is the file name.
  Result<Module> load_file(const std::filesystem::path& file);

  // Stops every call running in this engine's instances, from any thread:
  // they trap with TrapKind::Interrupted. Later calls run normally.
  void interrupt();

  wasm_engine_t* raw() const { return engine_; }

  // For Instance: the control words (instrumentation.h, kControlExport) of the
  // live instances, which interrupt() raises. An instance unregisters its
  // word before its memory goes away.
  void register_control_word(int64_t* word);
  void unregister_control_word(int64_t* word);

 private:
  Engine(EngineConfig config, wasm_engine_t* engine);
  // Adds fuel metering (instrumentation.h) when it is on, then compiles.
  Result<Module> compile(std::span<const uint8_t> wasm, const std::string& name);
  Result<Module> compile_as_is(std::span<const uint8_t> wasm, const std::string& name);

  EngineConfig config_;
  wasm_engine_t* engine_;
  std::unique_ptr<ModuleCache> cache_;
  base::Mutex control_words_mutex_;
  // The stores' control words that interrupt() trips (any thread).
  std::vector<int64_t*> control_words_ GUARDED_BY(control_words_mutex_);
};

// Converts WebAssembly text to binary (wasmtime's `wat` feature).
Result<std::vector<uint8_t>> wat_to_wasm(std::string_view wat);

// The wasmtime version this engine layer was built against, e.g. "48.0.8".
const char* wasmtime_version();

}  // namespace interstice::engine
