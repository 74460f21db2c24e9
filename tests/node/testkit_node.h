// Options for an in-process node on a fresh data directory holding the
// testkit module, with every file going through `env`.
#pragma once

#include <filesystem>
#include <string>

#include "node/node.h"

namespace interstice::node::testing {

inline NodeOptions testkit_node_options(const std::filesystem::path& data_dir, base::Env& env,
                                        storage::Durability durability) {
  std::filesystem::create_directories(data_dir / "modules");
  std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/testkit.wasm",
                             data_dir / "modules" / "testkit.wasm");
  NodeOptions options;
  options.data_dir = data_dir;
  options.runtime.log_sink = [](const runtime::LogRecord&) {};
  options.log.durability = durability;
  options.env = &env;
  return options;
}

}  // namespace interstice::node::testing
