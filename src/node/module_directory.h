// Loading the modules of a data directory (DIR/modules/*.wasm) into a
// runtime: shared by the node and the offline log tools.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace interstice::node {

// What happened to one file of DIR/modules.
struct ModuleLoadReport {
  std::string file;
  std::string error;          // empty when loaded
  std::string module;         // the loaded module's name
  std::vector<uint8_t> wasm;  // the loaded module's bytes
};

// Loads every *.wasm in `modules_dir` in file-name order, retrying those
// whose dependencies come later, without running init.
std::vector<ModuleLoadReport> load_module_directory(runtime::Runtime& runtime,
                                                    const std::filesystem::path& modules_dir);

}  // namespace interstice::node
