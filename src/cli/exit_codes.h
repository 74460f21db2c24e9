// Exit codes of the `interstice` command (documented in docs/cli.md).
#pragma once

namespace interstice::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // bad input: missing file, malformed wasm, bad export/args
inline constexpr int kExitUsage = 2;  // wrong command line
inline constexpr int kExitTrap = 3;   // the module trapped (including out of fuel)

}  // namespace interstice::cli
