#include "authority/file_path.h"

#include <fmt/format.h>

#include <algorithm>

namespace interstice::authority {

std::string split_file_path(std::string_view path, std::vector<std::string>* parts) {
  if (path.size() > kMaxFilePath)
    return fmt::format("file path longer than {} bytes", kMaxFilePath);
  if (path.starts_with('/')) return fmt::format("file path '{}' is absolute", path);
  size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos)
      return fmt::format("file path '{}' has a '{}' component", path, part);
    if (part.size() > kMaxPathComponentBytes)
      return fmt::format("file path '{}' has a component longer than {} bytes", path,
                         kMaxPathComponentBytes);
    if (parts->size() == kMaxPathComponents)
      return fmt::format("file path '{}' has more than {} components", path, kMaxPathComponents);
    parts->emplace_back(part);
    start = slash + 1;
  }
  return {};
}

}  // namespace interstice::authority
