#include "cli/memory_allocator.h"

#include <fmt/format.h>

#ifdef INTERSTICE_MIMALLOC
#include <mimalloc.h>
#endif

namespace interstice::cli {

std::string memory_allocator() {
#ifdef INTERSTICE_MIMALLOC
  // Also keeps libmimalloc a needed library of the binary, so its malloc
  // is the one the whole process uses.
  int version = mi_version();
  return fmt::format("mimalloc {}.{}.{}", version / 100, version / 10 % 10, version % 10);
#else
  return "the C library's malloc";
#endif
}

}  // namespace interstice::cli
