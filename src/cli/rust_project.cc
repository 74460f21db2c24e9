#include "cli/rust_project.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace interstice::cli {

namespace fs = std::filesystem;

std::string rust_cargo_toml(const std::string& name, const std::string& sdk_dir) {
  return fmt::format(
      "# The {n} Interstice module: `interstice build` writes build/modules/{n}.wasm.\n"
      "[package]\n"
      "name = \"{n}\"\n"
      "version = \"0.1.0\"\n"
      "edition = \"2021\"\n\n"
      "[lib]\n"
      "crate-type = [\"cdylib\"]\n\n"
      "[dependencies]\n"
      "interstice-sdk = {{ path = \"{sdk}/rust/interstice-sdk\" }}\n\n"
      "[profile.release]\n"
      "panic = \"abort\"  # required: a panic traps, and the node rolls the call back\n"
      "opt-level = 3\n"
      "lto = true\n"
      "codegen-units = 1\n",
      fmt::arg("n", name), fmt::arg("sdk", sdk_dir));
}

std::string rust_module_source(const std::string& name) {
  return fmt::format(
      "//! The {n} module: a public table of notes and a reducer that adds one.\n"
      "//! docs/sdk-rust.md in the Interstice tree is the guide to the SDK.\n"
      "use interstice_sdk::*;\n\n"
      "interstice_module!(visibility: Public);\n\n"
      "#[table(public)]\n"
      "pub struct Notes {{\n"
      "    #[primary_key(auto_inc)]\n"
      "    pub id: u64,\n"
      "    pub text: String,\n"
      "}}\n\n"
      "#[reducer(on = \"init\")]\n"
      "pub fn init(ctx: ReducerContext) {{\n"
      "    ctx.log(\"{n} is ready\");\n"
      "}}\n\n"
      "#[reducer]\n"
      "pub fn add_note(ctx: ReducerContext, text: String) -> Result<(), Status> {{\n"
      "    ctx.current.notes().insert(Notes {{ id: 0, text }}).map(|_| ())\n"
      "}}\n\n"
      "#[reducer(on = \"{n}.notes.insert\")]\n"
      "pub fn on_note(ctx: ReducerContext, note: Notes) {{\n"
      "    ctx.log(format!(\"note #{{}}: {{}}\", note.id, note.text));\n"
      "}}\n",
      fmt::arg("n", name));
}

namespace {

// The package's name in Cargo.toml ("" if none): its wasm is that name with
// '-' as '_'.
std::string package_name(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::string line;
  bool in_package = false;
  while (std::getline(in, line)) {
    if (line.starts_with("[")) in_package = line.starts_with("[package]");
    if (!in_package || !line.starts_with("name")) continue;
    size_t open = line.find('"'), close = line.rfind('"');
    if (open == std::string::npos || close <= open) return {};
    std::string name = line.substr(open + 1, close - open - 1);
    for (char& c : name)
      if (c == '-') c = '_';
    return name;
  }
  return {};
}

std::string cache_dir() {
  if (const char* env = std::getenv("INTERSTICE_CACHE"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/interstice";
}

}  // namespace

bool build_rust_project(const fs::path& dir,
                        const std::function<int(std::vector<std::string>)>& run) {
  std::string name = package_name(dir / "Cargo.toml");
  if (name.empty()) {
    fmt::print(stderr, "error: {} names no package\n", (dir / "Cargo.toml").string());
    return false;
  }
  if (!fs::exists("/usr/bin/cargo") || !fs::exists("/usr/bin/rustc")) {
    fmt::print(stderr,
               "error: Rust modules need Debian's Rust (/usr/bin/cargo, /usr/bin/rustc: packages "
               "rustc-web cargo-web rust-web-src rust-web-llvm lld-22; scripts/setup installs "
               "them)\n");
    return false;
  }
  // One target directory per project (keyed by its path): cargo names a
  // package's artifacts by its path within its workspace, so projects that
  // shared one could take each other's builds.
  std::string cache = cache_dir();
  std::string target =
      fmt::format("{}/rust-target/project-{:016x}", cache,
                  std::hash<std::string>{}(fs::absolute(dir).lexically_normal().string()));
  fmt::print(stderr, "building {} (cargo; the first build on this machine compiles std)…\n",
             dir.string());
  int status =
      run({"env", "CARGO_HOME=" + cache + "/cargo-web", "CARGO_TARGET_DIR=" + target,
           "RUSTC=/usr/bin/rustc", "RUSTC_BOOTSTRAP=1", "RUSTFLAGS=-C target-feature=+simd128",
           "/usr/bin/cargo", "build", "--release", "-Zbuild-std=std,panic_abort", "--target",
           "wasm32-unknown-unknown", "--manifest-path", (dir / "Cargo.toml").string()});
  if (status != 0) {
    fmt::print(stderr, "error: the build failed (cargo's messages are above)\n");
    return false;
  }
  fs::path built = fs::path(target) / "wasm32-unknown-unknown" / "release" / (name + ".wasm");
  fs::path out = dir / "build" / "modules" / (name + ".wasm");
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  fs::copy_file(built, out, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fmt::print(stderr, "error: cannot copy {} to {}: {}\n", built.string(), out.string(),
               ec.message());
    return false;
  }
  return true;
}

}  // namespace interstice::cli
