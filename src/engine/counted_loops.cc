#include "engine/counted_loops.h"

#include <algorithm>
#include <optional>

#include "engine/wasm_bytes.h"
#include "engine/wasm_instructions.h"

namespace interstice::engine::counted_loops {

using wasm_bytes::Control;
using wasm_bytes::Reader;

namespace {

// One instruction at the top level of a loop, as much as the shape needs.
struct Step {
  uint8_t opcode = 0;
  uint32_t index = 0;    // local index, or branch depth
  int64_t constant = 0;  // i32.const / i64.const
  size_t at = 0;         // offset in the body
  size_t size = 0;       // in bytes
};

// A loop being walked.
struct OpenLoop {
  size_t at = 0;     // offset of the `loop` opcode
  size_t frame = 0;  // its index in the control stack
  bool qualifies = true;
  bool has_inner_loop = false;
  int back_edges = 0;
  std::vector<uint32_t> written;  // locals written inside, with repeats
  std::vector<Step> tail;         // its top-level instructions, the last few
};

constexpr size_t kTailLength = 7;

std::optional<Operand> operand(const Step& step, bool wide) {
  if (step.opcode == 0x20) return Operand{true, step.index, 0};
  if (step.opcode == (wide ? 0x42 : 0x41)) return Operand{false, 0, step.constant};
  return std::nullopt;
}

// The loop's shape, from its last top-level instructions, if it is one of
// the accepted forms (counted_loops.h).
std::optional<CountedLoop> match_tail(const OpenLoop& loop) {
  const std::vector<Step>& t = loop.tail;
  if (t.empty() || t.back().opcode != 0x0d || t.back().index != 0 || loop.back_edges != 1)
    return std::nullopt;
  // local.get i  S  add  local.tee i  [N  cmp]  br_if 0
  bool implicit = t.size() >= 5 && t[t.size() - 2].opcode == 0x22;
  size_t needed = implicit ? 5 : 7;
  if (t.size() < needed) return std::nullopt;
  const Step* s = &t[t.size() - needed];
  uint8_t add = s[2].opcode;
  if (add != 0x6a && add != 0x7c) return std::nullopt;
  CountedLoop result;
  result.wide = add == 0x7c;
  if (s[0].opcode != 0x20 || s[3].opcode != 0x22 || s[0].index != s[3].index) return std::nullopt;
  result.counter = s[0].index;
  std::optional<Operand> step = operand(s[1], result.wide);
  if (!step) return std::nullopt;
  result.step = *step;
  if (implicit) {
    if (result.wide) return std::nullopt;  // br_if takes an i32
    result.bound = Operand{false, 0, 0};
    result.compare = Compare::Ne;
  } else {
    std::optional<Operand> bound = operand(s[4], result.wide);
    if (!bound) return std::nullopt;
    result.bound = *bound;
    if (!bound->is_local && !loop.has_inner_loop) {
      result.bound_at = s[4].at;
      result.bound_size = s[4].size;
    }
    uint8_t cmp = s[5].opcode;
    if (cmp == (result.wide ? 0x52 : 0x47))
      result.compare = Compare::Ne;
    else if (cmp == (result.wide ? 0x54 : 0x49))
      result.compare = Compare::LtU;
    else
      return std::nullopt;
  }
  // The forms whose T is computed exactly (counted_loops.h).
  const int width = result.wide ? 64 : 32;
  const uint64_t mask = result.wide ? ~uint64_t{0} : 0xffffffffu;
  if (result.compare == Compare::Ne) {
    if (result.step.is_local) return std::nullopt;
    int64_t c = result.step.constant;
    uint64_t magnitude = c < 0 ? 0 - static_cast<uint64_t>(c) : static_cast<uint64_t>(c);
    if (magnitude == 0 || magnitude > (1u << 16)) return std::nullopt;
  } else {
    if (result.bound.is_local) return std::nullopt;
    uint64_t n = static_cast<uint64_t>(result.bound.constant) & mask;
    if (n > (uint64_t{1} << (width - 1))) return std::nullopt;
    if (!result.step.is_local) {
      int64_t c = result.step.constant;
      if (c < 1 || c > (1 << 16)) return std::nullopt;
    }
  }
  // Nothing inside may write i (but the final tee), nor s or n.
  auto writes = [&](uint32_t local) {
    return std::count(loop.written.begin(), loop.written.end(), local);
  };
  if (writes(result.counter) != 1) return std::nullopt;
  if (result.step.is_local && writes(result.step.local) != 0) return std::nullopt;
  if (result.bound.is_local && writes(result.bound.local) != 0) return std::nullopt;
  return result;
}

}  // namespace

std::map<size_t, CountedLoop> find(std::span<const uint8_t> body, size_t code_start) {
  std::map<size_t, CountedLoop> found;
  Reader in(body);
  in.skip(code_start);
  size_t frames = 0;  // open control frames, the function's own excluded
  std::vector<OpenLoop> loops;

  // A branch to relative depth `depth`: a back edge of the loop it targets,
  // and a way out of every loop it leaves.
  auto branch = [&](uint32_t depth) {
    for (OpenLoop& loop : loops) {
      if (depth >= frames || frames - 1 - depth < loop.frame)
        loop.qualifies = false;
      else if (frames - 1 - depth == loop.frame)
        ++loop.back_edges;
    }
  };
  auto record = [&](const Step& step) {
    if (loops.empty() || loops.back().frame + 1 != frames) return;  // not at a loop's top level
    std::vector<Step>& tail = loops.back().tail;
    if (tail.size() == kTailLength) tail.erase(tail.begin());
    tail.push_back(step);
  };

  while (!in.at_end()) {
    size_t at = in.position();
    uint8_t opcode = in.byte();
    Step step{opcode};
    step.at = at;
    Reader immediates = in;
    switch (opcode) {
      case 0x0c:  // br
      case 0x0d:  // br_if
      case 0xd5:  // br_on_null
      case 0xd6:  // br_on_non_null
        step.index = immediates.u32();
        branch(step.index);
        break;
      case 0x0e: {  // br_table
        uint32_t count = immediates.u32();
        for (uint64_t i = 0; i <= count; ++i) branch(immediates.u32());
        break;
      }
      case 0xfb: {  // br_on_cast, br_on_cast_fail: flags, then the label
        uint32_t op = immediates.u32();
        if (op == 0x18 || op == 0x19) {
          immediates.byte();
          branch(immediates.u32());
        }
        break;
      }
      case 0x0f:  // return
      case 0x12:  // return_call
      case 0x13:  // return_call_indirect
      case 0x15:  // return_call_ref
        for (OpenLoop& loop : loops) loop.qualifies = false;
        break;
      case 0x20:  // local.get
        step.index = immediates.u32();
        break;
      case 0x21:  // local.set
      case 0x22:  // local.tee
        step.index = immediates.u32();
        for (OpenLoop& loop : loops) loop.written.push_back(step.index);
        break;
      case 0x41:
        step.constant = immediates.signed_leb(32);
        break;
      case 0x42:
        step.constant = immediates.signed_leb(64);
        break;
      default:
        break;
    }
    Control control = wasm_bytes::skip_instruction(opcode, in);
    step.size = in.position() - at;
    if (control == Control::End) {
      if (frames == 0) break;  // the function's own end
      --frames;
      if (!loops.empty() && loops.back().frame == frames) {
        OpenLoop loop = std::move(loops.back());
        loops.pop_back();
        if (loop.qualifies)
          if (std::optional<CountedLoop> counted = match_tail(loop)) found[loop.at] = *counted;
      }
      record(Step{0x0b});  // a nested frame's end breaks the shape
      continue;
    }
    record(step);
    if (control == Control::Block) {
      ++frames;
    } else if (control == Control::Loop) {
      // Only loops without parameters: block type empty (0x40) or one
      // number or vector type (0x7b..0x7f) or abstract reference (0x6f, 0x70).
      uint8_t block_type = body[at + 1];
      bool simple = block_type == 0x40 || (block_type >= 0x6f && block_type <= 0x7f);
      for (OpenLoop& outer : loops) outer.has_inner_loop = true;
      loops.push_back({at, frames, simple});
      ++frames;
    }
  }
  return found;
}

namespace {

using wasm_bytes::write_i64_const;
using wasm_bytes::write_indexed;

// Pushes the operand in the loop's width.
void push(std::vector<uint8_t>& out, const Operand& operand, bool wide) {
  if (operand.is_local) return write_indexed(out, 0x20, operand.local);
  out.push_back(wide ? 0x42 : 0x41);
  wasm_bytes::write_signed_leb(out, operand.constant);
}

// The value on the stack, in the loop's width, as an unsigned i64.
void widen(std::vector<uint8_t>& out, bool wide) {
  if (!wide) out.push_back(0xad);  // i64.extend_i32_u
}

// x | (x == 0), for a divisor: x, or 1 in place of 0. With x in `temp`.
void nonzero(std::vector<uint8_t>& out, uint32_t temp) {
  write_indexed(out, 0x20, temp);
  write_indexed(out, 0x20, temp);
  out.insert(out.end(), {0x50, 0xad, 0x84});  // i64.eqz; i64.extend_i32_u; i64.or
}

// The inverse of an odd number modulo 2^64 (Newton's iteration: each step
// doubles the bits that are right, from 3).
uint64_t odd_inverse(uint64_t odd) {
  uint64_t inverse = odd;
  for (int i = 0; i < 5; ++i) inverse *= 2 - odd * inverse;
  return inverse;
}

// `ne`, S = +-2^m * q (q odd): the k with i0 + k*S == N (modulo 2^w) is
// (D / 2^m) * q^-1 modulo 2^(w-m), D being N - i0 (S > 0) or i0 - N (S < 0)
// modulo 2^w; 2^(w-m) when D is 0 (a whole turn round); never when D is not
// a multiple of 2^m.
void write_ne(std::vector<uint8_t>& out, const CountedLoop& loop, const uint32_t t[3]) {
  const bool wide = loop.wide;
  const int64_t s = loop.step.constant;
  const uint64_t magnitude = s < 0 ? 0 - static_cast<uint64_t>(s) : static_cast<uint64_t>(s);
  const int m = __builtin_ctzll(magnitude);
  const uint64_t odd = magnitude >> m;
  const int width = wide ? 64 : 32;
  const uint64_t full = width - m >= 63 ? kNeverEnds : uint64_t{1} << (width - m);
  if (s > 0) {
    push(out, loop.bound, wide);
    write_indexed(out, 0x20, loop.counter);
  } else {
    write_indexed(out, 0x20, loop.counter);
    push(out, loop.bound, wide);
  }
  out.push_back(wide ? 0x7d : 0x6b);  // sub
  widen(out, wide);
  write_indexed(out, 0x21, t[0]);  // D
  write_i64_const(out, static_cast<int64_t>(kNeverEnds));
  write_i64_const(out, static_cast<int64_t>(full));
  write_indexed(out, 0x20, t[0]);
  write_i64_const(out, m);
  out.push_back(0x88);             // i64.shr_u
  write_indexed(out, 0x22, t[1]);  // D >> m
  if (odd != 1) {                  // times q^-1, modulo 2^(w-m)
    write_i64_const(out, static_cast<int64_t>(odd_inverse(odd)));
    out.push_back(0x7e);  // i64.mul
    if (width - m < 64) {
      write_i64_const(out, static_cast<int64_t>((uint64_t{1} << (width - m)) - 1));
      out.push_back(0x83);  // i64.and
    }
  }
  write_indexed(out, 0x20, t[1]);
  out.insert(out.end(), {0x50, 0x1b});  // i64.eqz; select: full when D >> m is 0
  write_indexed(out, 0x20, t[0]);
  write_i64_const(out, static_cast<int64_t>((uint64_t{1} << m) - 1));
  out.insert(out.end(), {0x83, 0x42, 0x00, 0x52, 0x1b});  // and; const 0; ne; select
}

// `lt_u`, N <= 2^(w-1): after the first iteration i is d1 = i0 + S (with
// wrap-around). If d1 >= N, T = 1. Otherwise the values from d1 on never
// wrap before leaving: with S <= 2^(w-1) they climb to N, so T = 1 +
// ceil((N - d1) / S); with S above, they fall by 2^w - S until they wrap
// to above 2^(w-1) >= N, so T = 1 + d1 / (2^w - S) + 1; with S = 0 never.
void write_lt_u(std::vector<uint8_t>& out, const CountedLoop& loop, const uint32_t t[3]) {
  const bool wide = loop.wide;
  const uint64_t mask = wide ? ~uint64_t{0} : 0xffffffffu;
  const int64_t n = static_cast<int64_t>(static_cast<uint64_t>(loop.bound.constant) & mask);
  write_indexed(out, 0x20, loop.counter);
  push(out, loop.step, wide);
  out.push_back(wide ? 0x7c : 0x6a);  // add
  widen(out, wide);
  write_indexed(out, 0x21, t[0]);  // d1
  push(out, loop.step, wide);
  widen(out, wide);
  write_indexed(out, 0x21, t[1]);  // S

  write_i64_const(out, 1);
  // Climbing: (N - d1 + S - 1) / S
  auto climbing = [&] {
    write_i64_const(out, n);
    write_indexed(out, 0x20, t[0]);
    out.push_back(0x7d);  // sub
    write_indexed(out, 0x20, t[1]);
    out.push_back(0x7c);  // add
    write_i64_const(out, 1);
    out.push_back(0x7d);  // sub
    nonzero(out, t[1]);
    out.push_back(0x80);  // i64.div_u
  };
  if (!loop.step.is_local) {
    climbing();  // a constant S is in [1, 2^16]
  } else {
    write_i64_const(out, static_cast<int64_t>(kNeverEnds));
    climbing();
    // Falling: d1 / (2^w - S) + 1
    write_indexed(out, 0x20, t[0]);
    if (wide)
      write_i64_const(out, 0);
    else
      write_i64_const(out, int64_t{1} << 32);
    write_indexed(out, 0x20, t[1]);
    out.push_back(0x7d);  // sub
    write_indexed(out, 0x21, t[2]);
    nonzero(out, t[2]);
    out.push_back(0x80);  // i64.div_u
    write_i64_const(out, 1);
    out.push_back(0x7c);  // add
    write_indexed(out, 0x20, t[1]);
    write_i64_const(out, static_cast<int64_t>(uint64_t{1} << (wide ? 63 : 31)));
    out.insert(out.end(), {0x58, 0x1b});  // i64.le_u; select: climbing when S <= 2^(w-1)
    write_indexed(out, 0x20, t[1]);
    out.insert(out.end(), {0x50, 0x1b});  // i64.eqz; select: never when S is 0
  }
  out.push_back(0x7c);  // 1 + ...
  write_i64_const(out, 1);
  write_indexed(out, 0x20, t[0]);
  write_i64_const(out, n);
  out.insert(out.end(), {0x54, 0x1b});  // i64.lt_u; select: 1 when d1 >= N
}

}  // namespace

void write_trip_count(std::vector<uint8_t>& out, const CountedLoop& loop, const uint32_t temps[3]) {
  if (loop.compare == Compare::Ne)
    write_ne(out, loop, temps);
  else
    write_lt_u(out, loop, temps);
}

}  // namespace interstice::engine::counted_loops
