#include "engine/engine_config.h"

#include <fmt/format.h>
#include <wasmtime.h>

namespace interstice::engine {

std::string EngineConfig::code_fingerprint() const {
  // Bump "layout" when Engine::create changes a setting not listed here.
  return fmt::format("interstice-engine layout=1 wasmtime={} fuel={} epoch={} nan={} stack={}",
                     WASMTIME_VERSION, consume_fuel, epoch_interruption, nan_canonicalization,
                     max_wasm_stack);
}

}  // namespace interstice::engine
