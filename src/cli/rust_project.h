// Module projects in Rust (docs/sdk-rust.md): what `interstice init --lang
// rust NAME` writes, and how `interstice build` builds a project that has a
// Cargo.toml: Debian's cargo for wasm32 with -Zbuild-std, cargo's registry
// and a target directory for the project in the cache (INTERSTICE_CACHE,
// default ~/.cache/interstice), the module copied to build/modules/NAME.wasm.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace interstice::cli {

// The project's files, for module `name` against the SDK at `sdk_dir`.
std::string rust_cargo_toml(const std::string& name, const std::string& sdk_dir);
std::string rust_module_source(const std::string& name);

// Builds the Cargo project in `dir` with `run` (argv; its exit status) and
// copies its module into dir/build/modules; false (after saying why on
// stderr) if it could not.
bool build_rust_project(const std::filesystem::path& dir,
                        const std::function<int(std::vector<std::string>)>& run);

}  // namespace interstice::cli
