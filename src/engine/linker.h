// Linker: the host functions that modules may import, by (module, name).
// Define host functions once; instantiate any number of modules against the
// same Linker. Not thread-safe while defining; instantiation only reads it.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "engine/host_function.h"
#include "engine/result.h"

typedef struct wasmtime_linker wasmtime_linker_t;

namespace interstice::engine {

class Engine;
class Module;

class Linker {
 public:
  explicit Linker(std::shared_ptr<Engine> engine);
  ~Linker();
  Linker(const Linker&) = delete;
  Linker& operator=(const Linker&) = delete;

  // Defines `module.name` as a host function; see host_function.h for what
  // `callable` may be. Defining the same name twice is an error.
  template <typename F>
  Result<void> define(std::string_view module, std::string_view name, F callable) {
    return define_function(module, name, HostFunction::from(std::move(callable)));
  }
  Result<void> define_function(std::string_view module, std::string_view name,
                               HostFunction function);

  // Defines `module.name` with any signature of numbers as a function that
  // returns `results` (e.g. a WASI call answering ENOSYS). Not for hot paths.
  Result<void> define_constant(std::string_view module, std::string_view name,
                               const FunctionSignature& signature, std::vector<Value> results);

  // Every function import of `module` not defined here traps when called
  // ("unknown import"). Used by `wasm run` and the fuzzer.
  Result<void> define_unknown_imports_as_traps(const Module& module);

  Engine& engine() const { return *engine_; }
  wasmtime_linker_t* raw() const { return linker_; }

 private:
  std::shared_ptr<Engine> engine_;
  wasmtime_linker_t* linker_;
};

}  // namespace interstice::engine
