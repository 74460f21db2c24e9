// Parses command-line text into wasm values of a given type, with messages
// that say which argument was wrong and why.
#pragma once

#include <string_view>

#include "base/result.h"
#include "engine/value.h"

namespace interstice::cli {

// i32 accepts -2147483648..4294967295 (unsigned values wrap, as in wasm);
// i64 likewise for 64 bits; f32/f64 accept decimal, "nan", "inf", "-inf".
base::Result<engine::Value> parse_value(std::string_view text, engine::ValueType type);

}  // namespace interstice::cli
