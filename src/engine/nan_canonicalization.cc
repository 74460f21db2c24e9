#include "engine/nan_canonicalization.h"

#include "engine/wasm_instructions.h"

namespace interstice::engine::nan_canonicalization {

using wasm_bytes::Reader;

namespace {

// How far the lookahead follows the stack before giving up (and
// canonicalizing). Compilers put the consumer a few instructions later.
constexpr int kLookahead = 64;

struct StackEffect {
  int pops;
  int pushes;
};

// The stack effect of the straight-line instructions the lookahead follows;
// nullopt for control flow, calls and anything not modelled.
std::optional<StackEffect> simd_effect(uint32_t op) {
  bool lane_extract =
      op == 21 || op == 22 || op == 24 || op == 25 || op == 27 || op == 29 || op == 31 || op == 33;
  bool lane_replace = op == 23 || op == 26 || op == 28 || op == 30 || op == 32 || op == 34;
  if (op <= 10 || op == 92 || op == 93) return StackEffect{1, 1};  // loads
  if (op == 11) return StackEffect{2, 0};                          // v128.store
  if (op == 12) return StackEffect{0, 1};                          // v128.const
  if (op == 13 || op == 14) return StackEffect{2, 1};              // shuffle, swizzle
  if ((op >= 15 && op <= 20) || lane_extract) return StackEffect{1, 1};
  if (lane_replace || (op >= 35 && op <= 76)) return StackEffect{2, 1};  // + comparisons
  if (op == 77 || op == 83 || op == 94 || op == 95) return StackEffect{1, 1};
  if (op >= 78 && op <= 81) return StackEffect{2, 1};  // and, andnot, or, xor
  if (op == 82) return StackEffect{3, 1};              // bitselect
  if (op >= 84 && op <= 87) return StackEffect{2, 1};  // load lane
  if (op >= 88 && op <= 91) return StackEffect{2, 0};  // store lane
  if ((op >= 103 && op <= 106) || op == 116 || op == 117 || op == 122 || op == 148)
    return StackEffect{1, 1};  // ceil, floor, trunc, nearest
  if ((op >= 224 && op <= 227) || (op >= 236 && op <= 239) || op >= 248)
    return StackEffect{1, 1};  // abs, neg, sqrt, conversions
  if ((op >= 228 && op <= 235) || (op >= 240 && op <= 247)) return StackEffect{2, 1};
  return std::nullopt;
}

std::optional<StackEffect> stack_effect(uint8_t opcode, uint32_t prefixed_op) {
  if (opcode == 0xfd) return simd_effect(prefixed_op);
  if (opcode == 0xfc) return prefixed_op <= 7 ? std::optional(StackEffect{1, 1}) : std::nullopt;
  if (opcode == 0x1a) return StackEffect{1, 0};                    // drop
  if (opcode == 0x1b) return StackEffect{3, 1};                    // select
  if (opcode == 0x20 || opcode == 0x23) return StackEffect{0, 1};  // local.get, global.get
  if (opcode == 0x21 || opcode == 0x24) return StackEffect{1, 0};  // local.set, global.set
  if (opcode == 0x22) return StackEffect{1, 1};                    // local.tee
  if (opcode >= 0x28 && opcode <= 0x35) return StackEffect{1, 1};  // loads
  if (opcode >= 0x36 && opcode <= 0x3e) return StackEffect{2, 0};  // stores
  if (opcode == 0x3f) return StackEffect{0, 1};                    // memory.size
  if (opcode == 0x40) return StackEffect{1, 1};                    // memory.grow
  if (opcode >= 0x41 && opcode <= 0x44) return StackEffect{0, 1};  // constants
  bool unary = opcode == 0x45 || opcode == 0x50 || (opcode >= 0x67 && opcode <= 0x69) ||
               (opcode >= 0x79 && opcode <= 0x7b) || (opcode >= 0x8b && opcode <= 0x91) ||
               (opcode >= 0x99 && opcode <= 0x9f) || (opcode >= 0xa7 && opcode <= 0xc4);
  if (unary) return StackEffect{1, 1};
  if (opcode >= 0x46 && opcode <= 0xa6) return StackEffect{2, 1};  // the binary ones left
  return std::nullopt;
}

// A canonicalizing op: the shape it reads and the shape it produces (they
// differ only for demote and promote).
struct Operands {
  Shape in;
  Shape out;
};

std::optional<Operands> canonicalizing(uint8_t opcode, uint32_t prefixed_op) {
  if (opcode >= 0x8d && opcode <= 0x97) return Operands{Shape::F32, Shape::F32};  // ceil .. max
  if (opcode >= 0x9b && opcode <= 0xa5) return Operands{Shape::F64, Shape::F64};
  if (opcode == 0xb6) return Operands{Shape::F64, Shape::F32};  // f32.demote_f64
  if (opcode == 0xbb) return Operands{Shape::F32, Shape::F64};  // f64.promote_f32
  if (opcode != 0xfd) return std::nullopt;
  uint32_t op = prefixed_op;
  if ((op >= 103 && op <= 106) || (op >= 227 && op <= 233))
    return Operands{Shape::F32x4, Shape::F32x4};
  if (op == 116 || op == 117 || op == 122 || op == 148 || (op >= 239 && op <= 245))
    return Operands{Shape::F64x2, Shape::F64x2};
  if (op == 94) return Operands{Shape::F64x2, Shape::F32x4};  // f32x4.demote_f64x2_zero
  if (op == 95) return Operands{Shape::F32x4, Shape::F64x2};  // f64x2.promote_low_f32x4
  return std::nullopt;
}

// Comparisons and conversions to integers of `shape`: their results do not
// depend on a NaN's bits.
bool compares_or_truncates(uint8_t opcode, uint32_t prefixed_op, Shape shape) {
  bool saturate = opcode == 0xfc;
  bool simd = opcode == 0xfd;
  uint32_t op = prefixed_op;
  switch (shape) {
    case Shape::F32:
      return (opcode >= 0x5b && opcode <= 0x60) || opcode == 0xa8 || opcode == 0xa9 ||
             opcode == 0xae || opcode == 0xaf || (saturate && (op <= 1 || op == 4 || op == 5));
    case Shape::F64:
      return (opcode >= 0x61 && opcode <= 0x66) || opcode == 0xaa || opcode == 0xab ||
             opcode == 0xb0 || opcode == 0xb1 ||
             (saturate && (op == 2 || op == 3 || op == 6 || op == 7));
    case Shape::F32x4:
      return simd && ((op >= 65 && op <= 70) || op == 248 || op == 249);
    case Shape::F64x2:
      return simd && ((op >= 71 && op <= 76) || op == 252 || op == 253);
  }
  return false;
}

bool absorbs(uint8_t opcode, uint32_t prefixed_op, Shape shape) {
  if (std::optional<Operands> operands = canonicalizing(opcode, prefixed_op))
    return operands->in == shape;
  return compares_or_truncates(opcode, prefixed_op, shape);
}

}  // namespace

std::optional<Shape> canonicalizing_op(uint8_t opcode, Reader in) {
  std::optional<Operands> operands = canonicalizing(opcode, opcode == 0xfd ? in.u32() : 0);
  if (!operands) return std::nullopt;
  return operands->out;
}

bool consumer_absorbs(std::span<const uint8_t> body, size_t position, Shape shape) {
  Reader in(body);
  in.skip(position);
  int depth = 1;  // of the value, counted from the top of the stack
  for (int step = 0; step < kLookahead && !in.at_end(); ++step) {
    uint8_t opcode = in.byte();
    uint32_t prefixed_op = 0;
    if (opcode == 0xfc || opcode == 0xfd) prefixed_op = Reader(in).u32();
    std::optional<StackEffect> effect = stack_effect(opcode, prefixed_op);
    if (!effect) return false;
    if (effect->pops >= depth) return absorbs(opcode, prefixed_op, shape);
    depth += effect->pushes - effect->pops;
    wasm_bytes::skip_instruction(opcode, in);
  }
  return false;
}

uint8_t temp_type(Shape shape) {
  switch (shape) {
    case Shape::F32:
      return 0x7d;
    case Shape::F64:
      return 0x7c;
    default:
      return 0x7b;
  }
}

void write_canonicalize(std::vector<uint8_t>& out, Shape shape, uint32_t temp) {
  // local.set T; CANONICAL; local.get T; local.get T; local.get T; NE; SELECT
  wasm_bytes::write_indexed(out, 0x21, temp);
  switch (shape) {
    case Shape::F32:
      out.insert(out.end(), {0x43, 0x00, 0x00, 0xc0, 0x7f});
      break;
    case Shape::F64:
      out.insert(out.end(), {0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f});
      break;
    case Shape::F32x4:
      out.insert(out.end(), {0xfd, 0x0c});
      for (int lane = 0; lane < 4; ++lane) out.insert(out.end(), {0x00, 0x00, 0xc0, 0x7f});
      break;
    case Shape::F64x2:
      out.insert(out.end(), {0xfd, 0x0c});
      for (int lane = 0; lane < 2; ++lane)
        out.insert(out.end(), {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f});
      break;
  }
  for (int i = 0; i < 3; ++i) wasm_bytes::write_indexed(out, 0x20, temp);
  switch (shape) {
    case Shape::F32:
      out.insert(out.end(), {0x5c, 0x1b});  // f32.ne; select
      break;
    case Shape::F64:
      out.insert(out.end(), {0x62, 0x1b});  // f64.ne; select
      break;
    case Shape::F32x4:
      out.insert(out.end(), {0xfd, 0x42, 0xfd, 0x52});  // f32x4.ne; v128.bitselect
      break;
    case Shape::F64x2:
      out.insert(out.end(), {0xfd, 0x48, 0xfd, 0x52});  // f64x2.ne; v128.bitselect
      break;
  }
}

}  // namespace interstice::engine::nan_canonicalization
