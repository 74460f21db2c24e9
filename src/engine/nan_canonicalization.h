// NaN canonicalization by instrumentation, for the module rewriter
// (instrumentation.h). It gives the same results as Cranelift's
// `enable_nan_canonicalization` (every NaN an arithmetic operation produces
// becomes the canonical NaN) at a lower cost: a result that goes straight
// into another operation of the same kind is left as it is.
//
// The rule. A *canonicalizing op* is one Cranelift canonicalizes: add, sub,
// mul, div, min, max, sqrt, ceil, floor, trunc, nearest, demote and promote,
// scalar and SIMD. Its result is canonicalized right after it unless the
// instruction that consumes it from the stack (found by following the stack
// through straight-line code) *absorbs* NaNs of its shape: another
// canonicalizing op, a comparison, or a conversion to integers, of the same
// shape. Such an op yields NaN for any NaN input (or a result that does not
// depend on the NaN's bits), so its own result, canonicalized in turn or
// absorbed again, is what Cranelift's canonicalization would have produced.
// A `local.set` absorbs, and a `local.tee` is followed through, when every
// read of the local absorbs in turn (LocalAbsorption): the value is then
// never seen with its bits. Anything else (a store, a reinterpretation, a
// local read otherwise, a call, a branch, an instruction the lookahead does
// not model) sees a canonical NaN.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "engine/wasm_bytes.h"

namespace interstice::engine::nan_canonicalization {

enum class Shape : uint8_t { F32, F64, F32x4, F64x2 };

// The shape of the result when the instruction starting at `opcode` (already
// read; `in` positioned at its immediates) is a canonicalizing op.
std::optional<Shape> canonicalizing_op(uint8_t opcode, wasm_bytes::Reader in);

constexpr uint8_t kAllShapes = 0xf;  // a bit per Shape

// What consumes the value on top of the stack at some position in a body,
// followed through straight-line code and through `local.tee`.
struct Consumer {
  uint8_t absorbing_shapes = 0;  // bit per Shape whose NaNs the consumer absorbs
  // The offsets of the local.tee instructions the value passes on the way
  // and of the local.set that ends it (which absorbs every shape on its own):
  // the value is absorbed only where those writes are (LocalAbsorption).
  std::vector<size_t> writes;
  // Where the consumer is and its opcode (not set for local.set, nor when
  // the lookahead gave up).
  size_t at = 0;
  uint8_t opcode = 0;
};

Consumer find_consumer(std::span<const uint8_t> body, size_t position);

struct StackEffect {
  int pops;
  int pushes;
};

// The stack effect of an instruction the lookahead follows (`prefixed_op`
// is the u32 after a 0xfc or 0xfd prefix): straight-line code, calls
// excluded; nullopt for everything else.
std::optional<StackEffect> stack_effect(uint8_t opcode, uint32_t prefixed_op);

// Which writes of locals in a function body (local.set, local.tee) hold a
// value whose NaN bits no one sees: every read that can see the write is
// consumed by an absorbing instruction, or goes into writes that are
// absorbed in turn. A result written by such a write needs no
// canonicalization.
//
// Which reads can see a write: in a straight-line run of code (no branch
// target inside, no way out), a read sees the last write before it in the
// run, and only that one. A write still current where control can leave
// the run *escapes*; it can be seen by a read that has no write before it
// in its own run (an *open* read) when a path of the body's control flow
// leads from it to the read without another write of the local
// (reaching_writes.h; where that analysis gives up, by every open read of
// its local). So a write is absorbed, for a shape, when its own reads
// absorb it and so do the open reads it reaches. This is the greatest fixpoint of those conditions
// (a value that is never read is never seen); if it does not settle within a few sweeps, nothing is
// taken as absorbed.
class LocalAbsorption {
 public:
  LocalAbsorption() = default;
  LocalAbsorption(std::span<const uint8_t> body, size_t code_start);

  // Whether `consumer` absorbs the NaNs of `shape`, writes included.
  bool absorbs(const Consumer& consumer, Shape shape) const;

 private:
  struct Read {
    Consumer consumer;
    size_t at = 0;  // its offset
  };
  struct Write {
    uint32_t local;
    bool escapes = false;
    uint8_t shapes = kAllShapes;  // absorbed, bit per Shape
    std::vector<uint32_t> reads;  // indexes into reads_: the reads in its run
    // With the control flow followed (reaching_writes.h): the open reads it
    // reaches, instead of all open reads of its local.
    std::vector<uint32_t> open_reads;
  };

  uint8_t absorbed(const Consumer& consumer) const;
  uint8_t open_shapes(uint32_t local) const;

  std::vector<Read> reads_;
  std::vector<Write> writes_;
  std::map<size_t, uint32_t> write_index_;                // offset of a write -> writes_
  std::map<uint32_t, std::vector<uint32_t>> open_reads_;  // local -> its open reads
  std::map<uint32_t, uint8_t> open_shapes_;               // local -> absorbed by them all
  bool flow_sensitive_ = false;                           // Write::open_reads known
};

// Replaces the value on top of the stack by itself, or the canonical NaN
// where it is a NaN (lane by lane), using local `temp` of the shape's type.
// A scalar is tested by an `if` whose branch hint (appended to `hints`,
// with its offset in `out`, the body from its start) keeps the NaN case
// out of line; vectors use a branchless lane select.
void write_canonicalize(std::vector<uint8_t>& out, Shape shape, uint32_t temp,
                        std::vector<wasm_bytes::BranchHint>& hints);

// The scalar NaN test, on the value on top of the stack (which it takes
// into `temp`): local.set T; local.get T; local.get T; GE; if (likely)
// else. The caller writes the NaN case and the `end`; the branch hint keeps
// that case out of line (write_canonicalize says why this sequence).
void write_nan_branch(std::vector<uint8_t>& out, Shape shape, uint32_t temp,
                      std::vector<wasm_bytes::BranchHint>& hints);

// Pushes the canonical NaN of `shape` (every lane of a vector).
void write_canonical_nan(std::vector<uint8_t>& out, Shape shape);

// The value type of a temporary for `shape` (f32, f64 or v128).
uint8_t temp_type(Shape shape);

}  // namespace interstice::engine::nan_canonicalization
