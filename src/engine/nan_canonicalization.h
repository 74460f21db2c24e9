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
// Anything else (a store, a reinterpretation, a local, a call, a branch, an
// instruction the lookahead does not model) sees a canonical NaN.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/wasm_bytes.h"

namespace interstice::engine::nan_canonicalization {

enum class Shape : uint8_t { F32, F64, F32x4, F64x2 };

// The shape of the result when the instruction starting at `opcode` (already
// read; `in` positioned at its immediates) is a canonicalizing op.
std::optional<Shape> canonicalizing_op(uint8_t opcode, wasm_bytes::Reader in);

// Whether the value of `shape` on top of the stack at `position` in `body`
// is consumed by an instruction that absorbs its NaNs.
bool consumer_absorbs(std::span<const uint8_t> body, size_t position, Shape shape);

// Replaces the value on top of the stack by itself, or the canonical NaN
// where it is a NaN (lane by lane), using local `temp` of the shape's type.
void write_canonicalize(std::vector<uint8_t>& out, Shape shape, uint32_t temp);

// The value type of a temporary for `shape` (f32, f64 or v128).
uint8_t temp_type(Shape shape);

}  // namespace interstice::engine::nan_canonicalization
