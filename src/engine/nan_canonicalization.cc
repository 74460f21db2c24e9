#include "engine/nan_canonicalization.h"

#include <map>
#include <set>

#include "engine/reaching_writes.h"
#include "engine/wasm_instructions.h"

namespace interstice::engine::nan_canonicalization {

using wasm_bytes::Reader;

namespace {

// How far the lookahead follows the stack before giving up (and
// canonicalizing). Compilers put the consumer a few instructions later.
constexpr int kLookahead = 64;

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

}  // namespace

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

namespace {

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

Consumer find_consumer(std::span<const uint8_t> body, size_t position) {
  Consumer consumer;
  Reader in(body);
  in.skip(position);
  int depth = 1;  // of the value, counted from the top of the stack
  for (int step = 0; step < kLookahead && !in.at_end(); ++step) {
    size_t at = in.position();
    uint8_t opcode = in.byte();
    uint32_t prefixed_op = 0;
    if (opcode == 0xfc || opcode == 0xfd) prefixed_op = Reader(in).u32();
    std::optional<StackEffect> effect = stack_effect(opcode, prefixed_op);
    if (!effect) return consumer;
    if (effect->pops >= depth) {
      if (opcode == 0x21 || opcode == 0x22) {  // local.set, local.tee: into a local
        consumer.writes.push_back(at);
        if (opcode == 0x21) {
          consumer.absorbing_shapes = kAllShapes;
          return consumer;
        }
        in.u32();
        continue;  // the tee leaves the value where it was
      }
      consumer.at = at;
      consumer.opcode = opcode;
      for (int shape = 0; shape < 4; ++shape)
        if (absorbs(opcode, prefixed_op, static_cast<Shape>(shape)))
          consumer.absorbing_shapes |= 1 << shape;
      return consumer;
    }
    depth += effect->pushes - effect->pops;
    wasm_bytes::skip_instruction(opcode, in);
  }
  return consumer;
}

namespace {

// How an instruction bounds a straight-line run of code, for LocalAbsorption.
enum class Boundary {
  None,   // straight-line (calls included: they cannot touch locals)
  Exit,   // control may leave here and come back after it (if, br_if, ...)
  Break,  // control enters here from elsewhere, or never falls through
};

Boundary boundary_of(uint8_t opcode, Reader in) {
  switch (opcode) {
    case 0x02:  // block: entered only from above
      return Boundary::None;
    case 0x04:  // if: the else part (or the end) is reached from here too
    case 0x0d:  // br_if
    case 0xd5:  // br_on_null
    case 0xd6:  // br_on_non_null
      return Boundary::Exit;
    case 0xfb: {
      uint32_t op = in.u32();
      return op == 0x18 || op == 0x19 ? Boundary::Exit : Boundary::None;  // br_on_cast(_fail)
    }
    case 0x00:  // unreachable
    case 0x03:  // loop: a branch target
    case 0x05:  // else
    case 0x06:  // try, catch, throw, rethrow, throw_ref (exceptions)
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0a:
    case 0x0b:  // end: a branch target
    case 0x0c:  // br
    case 0x0e:  // br_table
    case 0x0f:  // return
    case 0x12:  // return_call
    case 0x13:  // return_call_indirect
    case 0x15:  // return_call_ref
    case 0x18:  // delegate
    case 0x19:  // catch_all
    case 0x1f:  // try_table
      return Boundary::Break;
    default:
      return Boundary::None;
  }
}

// Sweeps over the analysis before giving up on a fixpoint (then nothing is
// taken as absorbed). Real code settles in two or three.
constexpr int kMaxSweeps = 16;

}  // namespace

LocalAbsorption::LocalAbsorption(std::span<const uint8_t> body, size_t code_start) {
  // One pass collects the writes and the reads, and which write each read
  // sees when that write is in the same straight-line run before it.
  std::map<uint32_t, uint32_t> run_writes;  // local -> its write in the current run
  auto leave_run = [&](bool clear) {
    for (const auto& [local, write] : run_writes) writes_[write].escapes = true;
    if (clear) run_writes.clear();
  };
  Reader in(body);
  in.skip(code_start);
  while (!in.at_end()) {
    size_t at = in.position();
    uint8_t opcode = in.byte();
    if (opcode == 0x20 || opcode == 0x21 || opcode == 0x22) {
      uint32_t local = in.u32();
      if (opcode == 0x20) {  // local.get
        Read read{.consumer = find_consumer(body, in.position()), .at = at};
        if (auto write = run_writes.find(local); write != run_writes.end())
          writes_[write->second].reads.push_back(static_cast<uint32_t>(reads_.size()));
        else
          open_reads_[local].push_back(static_cast<uint32_t>(reads_.size()));
        reads_.push_back(std::move(read));
      } else {
        write_index_[at] = static_cast<uint32_t>(writes_.size());
        run_writes[local] = static_cast<uint32_t>(writes_.size());
        writes_.push_back(Write{.local = local});
      }
      continue;
    }
    Boundary boundary = boundary_of(opcode, in);
    if (boundary != Boundary::None) leave_run(boundary == Boundary::Break);
    wasm_bytes::skip_instruction(opcode, in);
  }
  // Which escaping writes each open read can see.
  // (Only for locals written somewhere: no write reaches the others.)
  std::set<uint32_t> written;
  for (const Write& write : writes_) written.insert(write.local);
  std::vector<size_t> open_read_offsets;
  for (const auto& [local, reads] : open_reads_)
    if (written.count(local))
      for (uint32_t read : reads) open_read_offsets.push_back(reads_[read].at);
  if (auto reaching = reaching_writes::find(body, code_start, open_read_offsets)) {
    flow_sensitive_ = true;
    for (const auto& [local, reads] : open_reads_) {
      for (uint32_t read : reads) {
        for (size_t write_at : (*reaching)[reads_[read].at]) {
          auto write = write_index_.find(write_at);
          if (write != write_index_.end()) writes_[write->second].open_reads.push_back(read);
        }
      }
    }
  }
  // The greatest fixpoint: start from "everything absorbed" and remove
  // shapes until nothing changes.
  for (const auto& [local, reads] : open_reads_) open_shapes_[local] = kAllShapes;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    bool changed = false;
    for (Write& write : writes_) {
      uint8_t shapes = kAllShapes;
      if (!flow_sensitive_ && write.escapes) shapes = open_shapes(write.local);
      for (uint32_t read : write.open_reads) shapes &= absorbed(reads_[read].consumer);
      for (uint32_t read : write.reads) shapes &= absorbed(reads_[read].consumer);
      changed |= shapes != write.shapes;
      write.shapes = shapes;
    }
    for (auto& [local, shapes] : open_shapes_) {
      uint8_t now = kAllShapes;
      for (uint32_t read : open_reads_[local]) now &= absorbed(reads_[read].consumer);
      changed |= now != shapes;
      shapes = now;
    }
    if (!changed) return;
  }
  for (Write& write : writes_) write.shapes = 0;  // no fixpoint: assume nothing
  for (auto& [local, shapes] : open_shapes_) shapes = 0;
}

uint8_t LocalAbsorption::open_shapes(uint32_t local) const {
  auto found = open_shapes_.find(local);
  return found == open_shapes_.end() ? kAllShapes : found->second;
}

uint8_t LocalAbsorption::absorbed(const Consumer& consumer) const {
  uint8_t shapes = consumer.absorbing_shapes;
  for (size_t at : consumer.writes) {
    auto write = write_index_.find(at);
    shapes &= write == write_index_.end() ? 0 : writes_[write->second].shapes;
  }
  return shapes;
}

bool LocalAbsorption::absorbs(const Consumer& consumer, Shape shape) const {
  return absorbed(consumer) & (1 << static_cast<int>(shape));
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

void write_canonical_nan(std::vector<uint8_t>& out, Shape shape) {
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
}

void write_nan_branch(std::vector<uint8_t>& out, Shape shape, uint32_t temp,
                      std::vector<wasm_bytes::BranchHint>& hints) {
  wasm_bytes::write_indexed(out, 0x21, temp);
  wasm_bytes::write_indexed(out, 0x20, temp);
  wasm_bytes::write_indexed(out, 0x20, temp);
  out.push_back(shape == Shape::F32 ? 0x60 : 0x66);  // f32.ge, f64.ge
  hints.push_back({static_cast<uint32_t>(out.size()), true});
  out.insert(out.end(), {0x04, 0x40, 0x05});  // if (no result) else
}

void write_canonicalize(std::vector<uint8_t>& out, Shape shape, uint32_t temp,
                        std::vector<wasm_bytes::BranchHint>& hints) {
  bool scalar = shape == Shape::F32 || shape == Shape::F64;
  if (scalar) {
    // local.set T; local.get T; local.get T; GE; if (likely) else CANONICAL;
    // local.set T end; local.get T. `T >= T` fails only for a NaN, and it
    // is the one comparison x86 tests with a single flag (the carry, set
    // when unordered), so the hot path is `ucomisd` and one branch not
    // taken, to the out-of-line NaN case; the value keeps its register.
    write_nan_branch(out, shape, temp, hints);
    write_canonical_nan(out, shape);
    wasm_bytes::write_indexed(out, 0x21, temp);
    out.push_back(0x0b);
    wasm_bytes::write_indexed(out, 0x20, temp);
    return;
  }
  // local.set T; CANONICAL; local.get T; local.get T; local.get T; NE;
  // BITSELECT: lane by lane, with no branch.
  wasm_bytes::write_indexed(out, 0x21, temp);
  write_canonical_nan(out, shape);
  for (int i = 0; i < 3; ++i) wasm_bytes::write_indexed(out, 0x20, temp);
  switch (shape) {
    case Shape::F32:
    case Shape::F64:
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
