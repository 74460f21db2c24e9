#include "cli/node_logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace interstice::cli {

// The book's bounds: enough for `interstice logs` to catch up after a pause.
constexpr size_t kBookLines = 10'000;
constexpr size_t kBookBytes = 4 << 20;

std::shared_ptr<node::LogBook> set_up_node_logging(const NodeLogging& options) {
  auto console = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  if (options.format == "json")
    console->set_formatter(std::make_unique<node::JsonLogFormatter>());
  else
    console->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  auto book = std::make_shared<node::LogBook>(kBookLines, kBookBytes);
  std::vector<spdlog::sink_ptr> sinks{console, book};
  std::string file_problem;
  if (!options.dir.empty() && options.file_kib > 0) {
    try {
      // Made as the node makes it (mode 0700), if this is the first start.
      if (options.dir.has_parent_path())
        std::filesystem::create_directories(options.dir.parent_path());
      if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error(std::strerror(errno));
      auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          (options.dir / "node.log").string(), options.file_kib << 10,
          options.files > 1 ? options.files - 1 : 0);
      file->set_formatter(std::make_unique<node::JsonLogFormatter>());
      sinks.push_back(file);
    } catch (const std::exception& e) {
      file_problem = e.what();
    }
  }
  auto logger = std::make_shared<spdlog::logger>("interstice", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);  // a crash loses no line of the file
  spdlog::set_default_logger(logger);
  if (!file_problem.empty())
    spdlog::warn("no log file in {}: {}", options.dir.string(), file_problem);
  return book;
}

}  // namespace interstice::cli
