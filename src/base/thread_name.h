// Names the calling thread for `top -H`, perf and debuggers (Linux keeps
// at most 15 bytes; the rest is cut off).
#pragma once

#include <string_view>

namespace interstice::base {

void name_this_thread(std::string_view name);

}  // namespace interstice::base
