// Counted loops: the loops whose number of iterations the code before them
// can compute, so that the fuel-metering rewriter (instrumentation.cc)
// charges all their iterations once, on entry, instead of checking the
// counter in every iteration.
//
// A loop qualifies when it has the shape compilers give `for` loops, and
// nothing else can end or repeat an iteration:
//
//   loop (no parameters)
//     ...                        ;; never writes i (nor s, n when locals),
//                                ;; branches only to labels inside the loop,
//                                ;; never returns
//     local.get i  S  add  local.tee i  N  ne|lt_u  br_if 0
//   end
//
// (or `local.get i  S  add  local.tee i  br_if 0`, which is `ne 0`), in i32
// or i64, where S and N are constants or locals. So the loop runs exactly T
// iterations, T being the first k >= 1 for which `i0 + k*S` (with
// wrap-around) fails the comparison, i0 being i at entry; T is a function
// of i0, S and N alone. The forms accepted are those whose T is cheap to
// compute exactly for every input:
// - `ne`: S a nonzero constant in [-2^16, 2^16], N a constant or a local;
// - `lt_u`: N a constant no greater than 2^(w-1) (w = 32 or 64), S a
//   constant in [1, 2^16] or a local.
// A loop that never ends gets T = kNeverEnds. Traps inside the loop do not
// matter: a trap ends the call, and fuel is then all spent anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace interstice::engine::counted_loops {

// A constant or a local that the loop does not write.
struct Operand {
  bool is_local = false;
  uint32_t local = 0;
  int64_t constant = 0;  // sign-extended from the instruction's immediate
};

enum class Compare { Ne, LtU };

struct CountedLoop {
  bool wide = false;  // i64 induction variable
  uint32_t counter = 0;
  Operand step;
  Operand bound;
  Compare compare = Compare::Ne;
  // Where a constant bound's instruction is in the body, and its size, for
  // an innermost loop (the copy of the bound the rewriter makes takes a
  // register, which an outer loop's code around its inner loops can less
  // afford); 0 otherwise, and when the bound is a local or implicit.
  size_t bound_at = 0;
  size_t bound_size = 0;
};

// T for a loop that never ends: more than any budget (the rewriter turns any
// T * charge above INT64_MAX into INT64_MAX).
inline constexpr uint64_t kNeverEnds = uint64_t{1} << 63;

// The counted loops of a function body (validated; `code_start` is where
// its instructions start), by the offset of their `loop` opcode.
std::map<size_t, CountedLoop> find(std::span<const uint8_t> body, size_t code_start);

// Writes code that pushes T (an i64, read as unsigned) for `loop`, to run
// right before the loop; `temps` are three i64 locals it may overwrite.
void write_trip_count(std::vector<uint8_t>& out, const CountedLoop& loop, const uint32_t temps[3]);

}  // namespace interstice::engine::counted_loops
