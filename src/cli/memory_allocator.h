// Which memory allocator this binary runs on. Release builds of the
// `interstice` binary link mimalloc (Debian's libmimalloc), which replaces
// malloc and free for the whole process, wasmtime included: a transaction
// allocates and frees many small buffers (rows, undo entries, log records,
// messages), and mimalloc's thread-local free lists make that cheaper than
// glibc's malloc. Sanitizer builds keep the C library's malloc (the
// sanitizers replace it themselves).
#pragma once

#include <string>

namespace interstice::cli {

// "mimalloc 2.0.9", or "the C library's malloc".
std::string memory_allocator();

}  // namespace interstice::cli
