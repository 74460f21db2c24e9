// Node: the runtime of one Interstice node, its data directory, and the local
// HTTP/JSON interface that the CLI and tests drive it through.
//
// Data directory: DIR/modules/*.wasm are loaded at start, in file-name order
// (a module whose dependencies are not loaded yet is retried after the
// others). A module that fails to load is reported and skipped; the node
// still starts. The storage issue adds the log and snapshots here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/result.h"
#include "runtime/runtime.h"

namespace interstice::node {

struct NodeOptions {
  std::filesystem::path data_dir;
  runtime::RuntimeOptions runtime;
};

// Why a call or query through the node failed.
struct NodeError {
  enum class Kind { NotFound, BadArguments, Failed };
  Kind kind;
  std::string message;
};

// What happened to one file of DIR/modules at start.
struct ModuleLoadReport {
  std::string file;
  std::string error;  // empty when loaded
};

class Node {
 public:
  [[nodiscard]] static engine::Result<std::unique_ptr<Node>> create(NodeOptions options);

  const std::vector<ModuleLoadReport>& load_reports() const { return reports_; }

  // The operations of the local interface; each runs under the node's lock,
  // one at a time, so reducer calls are totally ordered.
  // `args` is a JSON array of the reducer's parameters.
  // Returns nullopt on success.
  std::optional<NodeError> call(const std::string& module, const std::string& reducer,
                                const nlohmann::ordered_json& args);
  // Every row of the table, as JSON objects, in primary-key order.
  std::optional<NodeError> query(const std::string& module, const std::string& table,
                                 nlohmann::ordered_json* rows);
  nlohmann::ordered_json describe_modules();

 private:
  explicit Node(NodeOptions options, std::unique_ptr<runtime::Runtime> runtime);
  void load_modules_directory();

  NodeOptions options_;
  std::unique_ptr<runtime::Runtime> runtime_;
  std::mutex mutex_;
  std::vector<ModuleLoadReport> reports_;
};

}  // namespace interstice::node
