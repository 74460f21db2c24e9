#include "node/module_directory.h"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace interstice::node {

std::vector<ModuleLoadReport> load_module_directory(runtime::Runtime& runtime,
                                                    const std::filesystem::path& modules_dir) {
  std::vector<ModuleLoadReport> reports;
  std::vector<std::filesystem::path> pending;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(modules_dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".wasm")
      pending.push_back(entry.path());
  std::sort(pending.begin(), pending.end());
  std::vector<std::pair<std::filesystem::path, std::string>> failures;
  bool progress = true;
  while (progress && !pending.empty()) {
    progress = false;
    failures.clear();
    std::vector<std::filesystem::path> still_pending;
    for (const auto& path : pending) {
      std::ifstream in(path, std::ios::binary);
      std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), {});
      auto loaded = runtime.load(wasm, path.filename().string(), /*run_init=*/false);
      if (loaded) {
        // Modules are appended in load order: the new one is the last.
        reports.push_back(
            {path.filename().string(), "", runtime.module_names().back(), std::move(wasm)});
        progress = true;
      } else {
        failures.emplace_back(path, loaded.error().message);
        still_pending.push_back(path);
      }
    }
    pending = std::move(still_pending);
  }
  for (const auto& [path, why] : failures)
    reports.push_back({path.filename().string(), why, "", {}});
  return reports;
}

}  // namespace interstice::node
