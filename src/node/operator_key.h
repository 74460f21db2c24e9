// The operator key: a random secret created with the data directory
// (DATA_DIR/operator.key, mode 0600, 64 hex characters and a newline).
// Whoever presents it on the local interface may publish and remove modules;
// `interstice publish` and `module remove` read it from --operator-key.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/env.h"
#include "base/result.h"

namespace interstice::node {

// The operator key file's text: 64 lowercase hex characters, then optional
// line ends. Returns the key, or why the text is not one.
base::Result<std::string> parse_operator_key(std::string_view text);
// A larger operator.key is refused before it is read.
inline constexpr uint64_t kMaxOperatorKeyFileBytes = 4096;

base::Result<std::string> load_or_create_operator_key(base::Env& env,
                                                      const std::filesystem::path& data_dir);

// Constant-time comparison of a presented key with the node's.
bool operator_key_matches(const std::string& expected, const std::string& presented);

}  // namespace interstice::node
