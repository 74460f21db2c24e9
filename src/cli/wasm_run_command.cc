#include "cli/wasm_run_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/argument_parser.h"
#include "cli/exit_codes.h"
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/linker.h"

namespace interstice::cli {
namespace {

struct WasmRunOptions {
  std::string file;
  std::string invoke;
  std::vector<std::string> args;
  uint64_t fuel = engine::kDefaultFuelPerCall;
  bool no_cache = false;
};

std::filesystem::path default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "interstice" / "compiled";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "interstice" / "compiled";
  return {};
}

int fail(const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  return kExitError;
}

int run(const WasmRunOptions& options) {
  engine::EngineConfig config;
  config.fuel_per_call = options.fuel;
  if (!options.no_cache) config.cache_dir = default_cache_dir();
  auto engine = engine::Engine::create(config);
  if (!engine) return fail(engine.error().message);

  auto module = (*engine)->load_file(options.file);
  if (!module) return fail(module.error().message);

  engine::Linker linker(*engine);
  if (auto defined = linker.define_unknown_imports_as_traps(*module); !defined)
    return fail(defined.error().message);
  auto instance = engine::Instance::create(linker, *module);
  if (!instance) {
    fmt::print(stderr, "error: {}\n", instance.error().message);
    return engine::is_trap(instance.error()) ? kExitTrap : kExitError;
  }

  auto signature = (*instance)->signature(options.invoke);
  if (!signature) return fail(signature.error().message);
  if (options.args.size() != signature->params.size())
    return fail(fmt::format("'{}' takes {} argument(s) {}, got {}", options.invoke,
                            signature->params.size(), signature->to_string(), options.args.size()));
  std::vector<engine::Value> args;
  for (size_t i = 0; i < options.args.size(); ++i) {
    auto value = parse_value(options.args[i], signature->params[i]);
    if (!value) return fail(fmt::format("argument {}: {}", i + 1, value.error().message));
    args.push_back(*value);
  }

  auto results = (*instance)->call(options.invoke, args);
  if (!results) {
    const base::Error& error = results.error();
    if (!engine::trap_of(error)) return fail(error.message);
    fmt::print(stderr, "error: module '{}' trapped in '{}': {}\nfuel used: {}\n", module->name(),
               options.invoke, engine::trap_of(error)->describe(), (*instance)->last_call_fuel());
    return kExitTrap;
  }
  for (const engine::Value& value : *results) fmt::print("{}\n", value.to_string());
  fmt::print("fuel used: {}\n", (*instance)->last_call_fuel());
  return kExitOk;
}

}  // namespace

void add_wasm_run_command(CLI::App& wasm, int& exit_code) {
  auto options = std::make_shared<WasmRunOptions>();
  CLI::App* cmd = wasm.add_subcommand("run", "Run one exported function of a module");
  cmd->add_option("file", options->file, "The module (.wasm, or .wat text)")->required();
  cmd->add_option("--invoke", options->invoke, "The exported function to call")->required();
  cmd->add_option("args", options->args, "Arguments, parsed by the function's parameter types");
  cmd->add_option("--fuel", options->fuel, "Fuel budget for the call")
      ->default_val(engine::kDefaultFuelPerCall);
  cmd->add_flag("--no-cache", options->no_cache, "Do not use the compiled-module cache");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace interstice::cli
