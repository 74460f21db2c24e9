// `interstice wasm run FILE --invoke NAME [ARGS...] [--fuel N]`: loads a
// module through the engine layer, calls one export and prints its results
// and the fuel used, or the trap with its backtrace.
#pragma once

#include <CLI/CLI.hpp>

namespace interstice::cli {

void add_wasm_run_command(CLI::App& wasm, int& exit_code);

}  // namespace interstice::cli
