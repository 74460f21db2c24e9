// Where a running node's log lines go (`interstice start`): the terminal, as
// text or JSON lines (--log-format); DATA_DIR/node.log, JSON lines,
// rotated by size (--log-file-kib, --log-files); and a bounded book of the
// last lines that GET /logs serves to `interstice logs`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "node/structured_log.h"

namespace interstice::cli {

struct NodeLogging {
  std::string format = "text";  // text or json, on the terminal
  std::filesystem::path dir;    // of node.log (the data directory); empty: no file
  uint64_t file_kib = 16 * 1024;
  uint32_t files = 4;  // node.log and the rotated ones, node.1.log ...
};

// Makes the default logger write as `options` says and returns the book of
// recent lines. A log file that cannot be opened is a warning, not a failure.
std::shared_ptr<node::LogBook> set_up_node_logging(const NodeLogging& options);

}  // namespace interstice::cli
