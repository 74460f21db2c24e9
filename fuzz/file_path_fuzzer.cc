// libFuzzer target: the File authority's path checks (authority/file_path.h),
// which every file call of a module goes through before the disk is touched.
// An accepted path must split into plain names (no '/', '.', '..', NUL or
// empty one) within the bounds, that join back to the path.
#include "authority/file_path.h"
#include "fuzz/fuzz_support.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  std::string why = authority::split_file_path(path, &parts);
  if (!why.empty()) return 0;
  if (parts.size() > authority::kMaxPathComponents) fuzz::finding("too many components");
  std::string joined;
  for (const std::string& part : parts) {
    if (part.empty() || part == "." || part == ".." || part.find('/') != std::string::npos ||
        part.find('\0') != std::string::npos || part.size() > authority::kMaxPathComponentBytes)
      fuzz::finding("a component that is not a plain name", part);
    joined += (joined.empty() ? "" : "/") + part;
  }
  if (joined != path) fuzz::finding("the components do not join back to the path");
  return 0;
}
