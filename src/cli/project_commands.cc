// `interstice init NAME` scaffolds a module project that builds against the
// SDK, and `interstice build [DIR]` builds one (docs/cli.md).
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/node_commands.h"
#include "cli/rust_project.h"

namespace interstice::cli {
namespace {

namespace fs = std::filesystem;

// The SDK this binary was built with, unless INTERSTICE_SDK says otherwise.
std::string sdk_dir() {
  if (const char* env = std::getenv("INTERSTICE_SDK"); env && *env) return env;
  return INTERSTICE_SDK_DIR;
}

bool is_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

std::string cmake_lists(const std::string& name) {
  return fmt::format(
      "# The {n} Interstice module: `interstice build` (or cmake) writes\n"
      "# build/modules/{n}.wasm.\n"
      "cmake_minimum_required(VERSION 3.20)\n"
      "project({n} NONE)\n\n"
      "set(INTERSTICE_SDK \"{sdk}\" CACHE PATH \"The Interstice SDK\")\n"
      "include(\"${{INTERSTICE_SDK}}/interstice_module.cmake\")\n\n"
      "interstice_add_module({n} SOURCES src/{n}.cc)\n",
      fmt::arg("n", name), fmt::arg("sdk", sdk_dir()));
}

std::string module_source(const std::string& name) {
  return fmt::format(
      "// The {n} module: a public table of notes and a reducer that adds one.\n"
      "// docs/sdk.md in the Interstice tree is the guide to the SDK.\n"
      "#include <interstice/sdk.h>\n\n"
      "INTERSTICE_MODULE({n}, \"0.1.0\", interstice::Visibility::Public)\n\n"
      "struct Note {{\n"
      "  uint64_t id = 0;\n"
      "  std::string text;\n"
      "  INTERSTICE_TYPE(Note, id, text)\n"
      "}};\n"
      "INTERSTICE_TABLE(notes, Note, primary_key(&Note::id), auto_inc(&Note::id), "
      "public_table())\n\n"
      "void init(interstice::ReducerContext& ctx) {{\n"
      "  ctx.log(\"{n} is ready\");\n"
      "}}\n"
      "INTERSTICE_INIT(init)\n\n"
      "void add_note(interstice::ReducerContext& ctx, std::string text) {{\n"
      "  ctx.table<notes>().insert(Note{{0, text}});\n"
      "}}\n"
      "INTERSTICE_REDUCER(add_note, \"text\")\n\n"
      "void on_note(interstice::ReducerContext& ctx, Note note) {{\n"
      "  ctx.log(\"note #\" + std::to_string(note.id) + \": \" + note.text);\n"
      "}}\n"
      "INTERSTICE_SUBSCRIBE(on_note, \"{n}.notes.insert\", \"note\")\n",
      fmt::arg("n", name));
}

int init_project(const std::string& name, const std::string& parent, const std::string& lang) {
  if (!is_identifier(name)) {
    fmt::print(stderr,
               "error: '{}' cannot be a module name: use letters, digits and _, not starting with "
               "a digit\n",
               name);
    return kExitUsage;
  }
  fs::path dir = fs::path(parent) / name;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    fmt::print(stderr, "error: {} already exists and is not empty\n", dir.string());
    return kExitError;
  }
  fs::create_directories(dir / "src", ec);
  bool rust = lang == "rust";
  bool written = !ec && write_file(dir / ".gitignore", "build/\n") &&
                 (rust ? write_file(dir / "Cargo.toml", rust_cargo_toml(name, sdk_dir())) &&
                             write_file(dir / "src" / "lib.rs", rust_module_source(name))
                       : write_file(dir / "CMakeLists.txt", cmake_lists(name)) &&
                             write_file(dir / "src" / (name + ".cc"), module_source(name)));
  if (!written) {
    fmt::print(stderr, "error: cannot write the project in {}\n", dir.string());
    return kExitError;
  }
  fmt::print("created {}: {}\nnext: interstice build {}\n", dir.string(),
             rust ? "Cargo.toml, src/lib.rs" : "CMakeLists.txt, src/" + name + ".cc", dir.string());
  return kExitOk;
}

// Runs a program with its output passed through; returns its exit status.
int run(std::vector<std::string> argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int build_cmake_project(const std::string& dir) {
  fs::path build = fs::path(dir) / "build";
  fmt::print(stderr, "configuring {}…\n", dir);
  std::vector<std::string> configure{"cmake", "-S", dir, "-B", build.string()};
  if (!fs::exists(build / "CMakeCache.txt")) {
    configure.push_back("-G");
    configure.push_back("Ninja");
  }
  if (run(configure) != 0) {
    fmt::print(stderr, "error: cmake could not configure {}\n", dir);
    return kExitError;
  }
  fmt::print(stderr, "building…\n");
  if (run({"cmake", "--build", build.string()}) != 0) {
    fmt::print(stderr, "error: the build failed (the compiler's messages are above)\n");
    return kExitError;
  }
  return kExitOk;
}

// Lists the modules in build/modules; an error if there are none.
int list_built(const fs::path& build) {
  std::error_code ec;
  int built = 0;
  for (const auto& entry : fs::directory_iterator(build / "modules", ec))
    if (entry.path().extension() == ".wasm") {
      fmt::print("built {}\n", entry.path().string());
      ++built;
    }
  if (built == 0) {
    fmt::print(stderr, "error: the build made no module in {}\n", (build / "modules").string());
    return kExitError;
  }
  return kExitOk;
}

int build_project(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "CMakeLists.txt") && fs::exists(fs::path(dir) / "Cargo.toml")) {
    if (!build_rust_project(dir, run)) return kExitError;
  } else if (!fs::exists(fs::path(dir) / "CMakeLists.txt")) {
    fmt::print(stderr,
               "error: {} has no CMakeLists.txt or Cargo.toml (make a project with interstice "
               "init)\n",
               dir);
    return kExitError;
  } else if (int r = build_cmake_project(dir); r != kExitOk) {
    return r;
  }
  return list_built(fs::path(dir) / "build");
}

}  // namespace

void add_project_commands(CLI::App& app, int& exit_code) {
  struct Options {
    std::string name, parent = ".", dir = ".", lang = "cpp";
  };
  auto o = std::make_shared<Options>();
  CLI::App* init = app.add_subcommand(
      "init",
      "Create a module project in ./NAME: C++ (CMakeLists.txt, src/NAME.cc) or Rust (Cargo.toml, "
      "src/lib.rs)");
  init->add_option("name", o->name, "The module's name (a C identifier)")->required();
  init->add_option("--in", o->parent, "Create it under this directory")->capture_default_str();
  init->add_option("--lang", o->lang, "cpp or rust")
      ->check(CLI::IsMember({"cpp", "rust"}))
      ->capture_default_str();
  init->callback([o, &exit_code] { exit_code = init_project(o->name, o->parent, o->lang); });
  CLI::App* build = app.add_subcommand("build", "Build a module project to build/modules/*.wasm");
  build->add_option("dir", o->dir, "The project's directory")->capture_default_str();
  build->callback([o, &exit_code] { exit_code = build_project(o->dir); });
}

}  // namespace interstice::cli
