// The peer network's log lines (net/log.h), written to the node's log.
#pragma once

#include <spdlog/spdlog.h>

#include "net/log.h"

namespace interstice::node {

inline void log_network(net::LogLevel level, const std::string& line) {
  switch (level) {
    case net::LogLevel::Debug:
      spdlog::debug("{}", line);
      break;
    case net::LogLevel::Info:
      spdlog::info("{}", line);
      break;
    case net::LogLevel::Warning:
      spdlog::warn("{}", line);
      break;
  }
}

}  // namespace interstice::node
