// Reaching writes of locals, for NaN canonicalization's LocalAbsorption
// (nan_canonicalization.h): which writes (local.set, local.tee) a read of a
// local can see, following the body's control flow (blocks, loops, ifs and
// branches), so that a write that every path overwrites before a read is
// not taken to reach it.
//
// The body is cut into nodes of straight-line code at every instruction that
// branches, is a branch target or ends a path; a read sees, for each path
// into its node, the last write of its local in the nearest node on that
// path that writes it. Single-threaded, one body at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace interstice::engine::reaching_writes {

// For each read (the offset of a local.get), the offsets of the writes
// that can reach it: the last write of its local before it in its node if
// there is one, else the nearest on each path into the node (none when only
// the function's start reaches it). nullopt when the body holds control flow the analysis does not
// model (the exceptions proposal's) or the search would take too long: the
// caller then assumes every write reaches every such read.
std::optional<std::map<size_t, std::vector<size_t>>> find(std::span<const uint8_t> body,
                                                          size_t code_start,
                                                          const std::vector<size_t>& reads);

}  // namespace interstice::engine::reaching_writes
