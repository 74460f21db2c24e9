// The File authority's paths (docs/node.md): relative, '/'-separated, each
// component a plain name. Checked before anything touches the disk; the
// bounds keep a module from making the host walk or allocate much for one
// call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace interstice::authority {

inline constexpr size_t kMaxFilePath = 4096;           // bytes of the whole path
inline constexpr size_t kMaxPathComponents = 64;       // directories deep, the file included
inline constexpr size_t kMaxPathComponentBytes = 255;  // NAME_MAX

// Splits `path` into its components. Empty on success; otherwise why it is
// refused: longer than kMaxFilePath, absolute, an empty, '.' or '..'
// component, a NUL byte, more than kMaxPathComponents components or one
// longer than kMaxPathComponentBytes. An empty path gives no components.
std::string split_file_path(std::string_view path, std::vector<std::string>* parts);

}  // namespace interstice::authority
