#include "engine/engine_config.h"

#include <fmt/format.h>
#include <wasmtime.h>

#include "engine/instrumentation.h"

namespace interstice::engine {

std::string EngineConfig::code_fingerprint() const {
  // Bump "layout" when Engine::create changes a setting not listed here.
  std::string fuel = !consume_fuel   ? "off"
                     : wasmtime_fuel ? "wasmtime"
                                     : fmt::format("metering-v{}", kFuelMeteringVersion);
  return fmt::format("interstice-engine layout=3 wasmtime={} fuel={} epoch={} nan={} stack={}",
                     WASMTIME_VERSION, fuel, epoch_interruption, nan_canonicalization,
                     max_wasm_stack);
}

}  // namespace interstice::engine
