#include "engine/instrumentation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "engine/counted_loops.h"
#include "engine/deferred_stores.h"
#include "engine/nan_canonicalization.h"
#include "engine/wasm_bytes.h"
#include "engine/wasm_instructions.h"

namespace interstice::engine {

using wasm_bytes::Control;
using wasm_bytes::Reader;
using wasm_bytes::skip_instruction;
using wasm_bytes::skip_limits;
using wasm_bytes::skip_value_type;
using wasm_bytes::WasmDecodeError;
using wasm_bytes::write_section;
using Shape = nan_canonicalization::Shape;

namespace {

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kCode = 10,
};

// The binary format's section order (custom sections may go anywhere).
int section_rank(uint8_t id) {
  static constexpr int kRanks[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return id < std::size(kRanks) ? kRanks[id] : 100;
}

struct Section {
  uint8_t id;
  std::span<const uint8_t> content;
};

// The branch hinting proposal's custom section. The rewriter writes its own
// (its injected checks are unlikely) and drops the module's, whose offsets
// the rewriting moves.
constexpr std::string_view kBranchHintSection = "metadata.code.branch_hint";

bool is_branch_hint_section(const Section& section) {
  if (section.id != kCustom) return false;
  Reader in(section.content);
  std::span<const uint8_t> name = in.take(in.u32());
  return std::string_view(reinterpret_cast<const char*>(name.data()), name.size()) ==
         kBranchHintSection;
}

// ---- Instrumenting one function body ----
//
// A function without loops charges the counter global once, on entry, and
// compares it with the floor (the control word). A function with loops
// keeps the counter in two extra locals, so that a loop iteration is a
// subtract and a sign test on a register:
// - `lent` counts down what is left of the current slice; the check at a
//   loop's start is `lent < 0`;
// - `base` holds the rest, a multiple of the slice, so that the counter is
//   always `base + lent`.
// When `lent` goes below zero, the slow path (moved out of line by a branch
// hint) adds the two, compares the sum with the floor exactly as the global check does
// (trapping with the sum written back when it falls below), and splits it
// again. So a loop still runs out of fuel at exactly the check where the
// counter goes below zero, and sees an interruption within one slice of
// fuel (kFuelSlice). The locals are written back to the global (`base +
// lent`) before every call and every way out of the function (return, tail
// call, a branch to the function's label, its end) and reloaded after every
// call. The sum is never negative at a write-back: every charge is checked,
// and the out-of-fuel path writes the negative value back before it traps,
// which is how the instance tells running out of fuel from other traps.

// The most fuel a loop runs through between two looks at the floor.
constexpr int64_t kFuelSlice = int64_t{1} << 20;

// memory.fill, memory.copy and memory.init pay one unit per 2^6 = 64 bytes
// (a cache line) on top of their own instruction.
constexpr int64_t kLengthUnitLog2 = 6;

enum class Edit : uint8_t {
  Charge,        // at the function's start or a loop's start
  Precharge,     // before a counted loop: all its iterations at once
  OpaqueBound,   // a counted loop's constant `ne` bound, replaced (BodyWriter::precharge)
  ChargeLength,  // before memory.fill/copy/init: their length (BodyWriter::charge_length)
  Save,          // local -> global, before a call or an exit
  Reload,        // global -> local, after a call
  Canonicalize,  // after an arithmetic op (nan_canonicalization.h)
  Capture,       // after an arithmetic op whose store is checked later (deferred_stores.h)
  Check,         // where a window of deferred stores closes
};

struct Insertion {
  size_t offset;  // in the body: where the edit goes
  Edit edit;
  uint64_t charge = 0;
  Shape shape = Shape::F32;          // of the value to canonicalize
  bool callee_checks_floor = false;  // Reload: after a call of a function defined here
  bool wide_length = false;          // ChargeLength: the length is an i64 (memory64)
  size_t loop_at = 0;                // OpaqueBound: the offset of its loop
  deferred_stores::Slot slot;        // Capture: where the value and its address go
  bool keep_address = true;          // Capture: false when the Check computes it again
  uint32_t window = 0;               // Check: index into BodyScan::windows
};

struct BodyScan {
  size_t groups_end = 0;  // after the count of local declaration groups
  size_t code_start = 0;  // after the local declarations
  uint32_t groups = 0;
  uint64_t locals = 0;
  bool has_loop = false;
  uint8_t length_types = 0;  // ChargeLength: bit 0 an i32 length, bit 1 an i64 one
  std::map<size_t, counted_loops::CountedLoop> counted;  // by the offset of `loop`
  std::vector<Insertion> insertions;                     // by increasing offset
  uint8_t shapes_canonicalized = 0;                      // bit per Shape
  std::vector<deferred_stores::Window> windows;          // Check: by index
  uint32_t value_slots[2] = {};                          // deferred_stores::Planner
  uint32_t address_slots[2] = {};
};

// Finds every place an edit may go and what each charge is: the number of
// instructions of its region, where a region is the function or a loop
// minus the loops nested in it.
BodyScan scan_body(std::span<const uint8_t> body, bool canonicalize_nans,
                   uint32_t imported_functions, const std::vector<bool>& memory64,
                   uint32_t params) {
  Reader in(body);
  BodyScan scan;
  scan.groups = in.u32();
  scan.groups_end = in.position();
  for (uint32_t i = 0; i < scan.groups; ++i) {
    scan.locals += in.u32();
    skip_value_type(in);
  }
  scan.code_start = in.position();
  scan.counted = counted_loops::find(body, scan.code_start);
  nan_canonicalization::LocalAbsorption locals;
  if (canonicalize_nans) locals = nan_canonicalization::LocalAbsorption(body, scan.code_start);
  std::optional<deferred_stores::Planner> deferred;
  if (canonicalize_nans) deferred.emplace(body, scan.code_start, params, locals, memory64);
  std::vector<size_t> capture_edits;  // by Slot::capture: its Capture edit
  std::vector<Insertion>& edits = scan.insertions;
  edits.push_back({scan.code_start, Edit::Charge});

  struct Frame {
    size_t region;  // the region the code after this frame's `end` belongs to
  };
  std::vector<Frame> frames;
  size_t region = 0;  // index of the region's charge in `edits`
  // The constant bounds of counted `ne` loops, by offset, to the loop's offset.
  std::map<size_t, size_t> opaque_bounds;
  for (const auto& [loop_at, loop] : scan.counted)
    if (loop.compare == counted_loops::Compare::Ne && loop.bound_size > 0)
      opaque_bounds[loop.bound_at] = loop_at;
  for (;;) {
    size_t at = in.position();
    if (std::optional<deferred_stores::Window> window =
            deferred ? deferred->before(at) : std::nullopt) {
      for (const deferred_stores::StoredValue& store : window->stores)
        if (store.recomputed) edits[capture_edits.at(store.slot.capture)].keep_address = false;
      edits.push_back({at, Edit::Check, 0, window->shape});
      edits.back().window = static_cast<uint32_t>(scan.windows.size());
      scan.shapes_canonicalized |= 1 << static_cast<int>(window->shape);
      scan.windows.push_back(std::move(*window));
    }
    if (auto bound = opaque_bounds.find(at); bound != opaque_bounds.end()) {
      edits.push_back({at, Edit::OpaqueBound});
      edits.back().loop_at = bound->second;
    }
    uint8_t opcode = in.byte();
    edits[region].charge++;
    const uint64_t function_label = frames.size();  // a branch to it leaves the function
    switch (opcode) {
      case 0x0c:    // br
      case 0x0d:    // br_if
      case 0xd5:    // br_on_null
      case 0xd6: {  // br_on_non_null
        if (in.u32() == function_label) edits.push_back({at, Edit::Save});
        continue;
      }
      case 0xfb: {  // br_on_cast, br_on_cast_fail: flags, then the label
        Reader peek = in;
        uint32_t op = peek.u32();
        if (op == 0x18 || op == 0x19) {
          peek.byte();
          if (peek.u32() == function_label) edits.push_back({at, Edit::Save});
        }
        break;
      }
      case 0x0e: {  // br_table
        uint32_t count = in.u32();
        bool leaves = false;
        for (uint64_t i = 0; i <= count; ++i) leaves |= in.u32() == function_label;
        if (leaves) edits.push_back({at, Edit::Save});
        continue;
      }
      case 0xfc: {  // memory.init (8), memory.copy (10), memory.fill (11)
        Reader peek = in;
        uint32_t op = peek.u32();
        if (op != 8 && op != 10 && op != 11) break;
        if (op == 8) peek.u32();  // data index
        bool wide = memory64.at(peek.u32());
        if (op == 10) wide = wide && memory64.at(peek.u32());  // i64 only between two 64-bit
        edits.push_back({at, Edit::ChargeLength});
        edits.back().wide_length = wide;
        scan.length_types |= wide ? 2 : 1;
        break;
      }
      case 0x0f:  // return
      case 0x12:  // return_call
      case 0x13:  // return_call_indirect
      case 0x15:  // return_call_ref
        edits.push_back({at, Edit::Save});
        break;
      case 0x10:    // call
      case 0x11:    // call_indirect
      case 0x14: {  // call_ref
        edits.push_back({at, Edit::Save});
        bool defined_here = opcode == 0x10 && Reader(in).u32() >= imported_functions;
        skip_instruction(opcode, in);
        edits.push_back({in.position(), Edit::Reload});
        edits.back().callee_checks_floor = defined_here;
        continue;
      }
      default:
        break;
    }
    std::optional<Shape> shape;
    if (canonicalize_nans) shape = nan_canonicalization::canonicalizing_op(opcode, in);
    Control control = skip_instruction(opcode, in);
    if (shape) {
      nan_canonicalization::Consumer consumer =
          nan_canonicalization::find_consumer(body, in.position());
      if (locals.absorbs(consumer, *shape)) {
        // its NaNs are never seen
      } else if (std::optional<deferred_stores::Slot> slot = deferred->defer(consumer, *shape)) {
        capture_edits.push_back(edits.size());
        edits.push_back({in.position(), Edit::Capture, 0, *shape});
        edits.back().slot = *slot;
      } else {
        edits.push_back({in.position(), Edit::Canonicalize, 0, *shape});
        scan.shapes_canonicalized |= 1 << static_cast<int>(*shape);
      }
    }
    if (control == Control::Block) {
      frames.push_back({region});
    } else if (control == Control::Loop) {
      frames.push_back({region});
      region = edits.size();
      if (scan.counted.count(at))
        edits.push_back({at, Edit::Precharge});
      else
        edits.push_back({in.position(), Edit::Charge});
      scan.has_loop = true;
    } else if (control == Control::End) {
      if (frames.empty()) {  // the function's own end
        edits.push_back({at, Edit::Save});
        break;
      }
      region = frames.back().region;
      frames.pop_back();
    }
  }
  if (!in.at_end()) throw WasmDecodeError("code after the end of a function body");
  if (deferred) {
    for (int wide = 0; wide < 2; ++wide) {
      scan.value_slots[wide] = deferred->value_slots(wide ? Shape::F64 : Shape::F32);
      scan.address_slots[wide] = deferred->address_slots(wide);
    }
  }
  return scan;
}

// Where the injected state lives in the rewritten module.
struct Injected {
  uint32_t fuel_global;
  uint32_t opaque_zero = 0;    // a mutable i64 global that stays 0
  std::vector<bool> memory64;  // by memory index: a 64-bit memory
  uint32_t imported_functions = 0;
  std::optional<uint32_t> control_memory;  // when interruptible
  bool canonicalize_nans = false;
};

class BodyWriter {
 public:
  BodyWriter(std::vector<uint8_t>& out, std::vector<wasm_bytes::BranchHint>& hints,
             const Injected& injected, uint32_t lent, uint32_t base)
      : out_(out),
        hints_(hints),
        global_(injected.fuel_global),
        opaque_zero_(injected.opaque_zero),
        memory_(injected.control_memory),
        lent_(lent),
        base_(base) {}

  // The entry of a function without loops:
  // global.get G; i64.const C; i64.sub; global.set G; CHECK
  void charge_global(uint64_t charge) {
    subtract_from_global(charge);
    check(false);
  }

  // The entry of a function with loops:
  // global.get G; i64.const C; i64.sub; global.set G; SPLIT; CHECK
  void charge_entry(uint64_t charge) {
    subtract_from_global(charge);
    split();
    check(false);
  }

  // A loop's start: local.get lent; i64.const C; SUBTRACT_FROM_LENT
  void charge_loop(uint64_t charge) {
    op(0x20, lent_);
    push_i64(charge_constant(charge));
    subtract_from_lent();
  }

  // Before a counted loop (counted_loops.h): its trip count T times its
  // charge C, at most INT64_MAX, charged like a loop's start:
  // TRIP_COUNT; local.set t; i64.const INT64_MAX; local.get t; i64.const C;
  // i64.mul; local.get t; i64.const INT64_MAX / C; i64.gt_u; select;
  // local.get lent; local.get t; SUBTRACT_FROM_LENT
  // The loop then runs without checks: it is paid for.
  void precharge(const counted_loops::CountedLoop& loop, uint64_t charge, const uint32_t temps[3]) {
    const int64_t c = charge_constant(charge);
    counted_loops::write_trip_count(out_, loop, temps);
    op(0x21, temps[0]);
    push_i64(INT64_MAX);
    op(0x20, temps[0]);
    push_i64(c);
    out_.push_back(0x7e);  // i64.mul
    op(0x20, temps[0]);
    push_i64(INT64_MAX / c);
    out_.insert(out_.end(), {0x56, 0x1b});  // i64.gt_u; select
    op(0x21, temps[0]);
    op(0x20, lent_);
    op(0x20, temps[0]);
    subtract_from_lent();
  }

  // Before a counted `ne` loop whose bound is a constant N: a copy of N
  // that Cranelift cannot see through, for the loop's comparison. With the
  // constant, Cranelift rewrites `i + S != N` into `i != N - S`, which keeps
  // both i and i + S alive at the loop's end and turns its back edge into a
  // move and a jump.
  // global.get ZERO; [i32.wrap_i64]; CONST N; or; local.set copy
  void copy_bound(const counted_loops::CountedLoop& loop, uint32_t copy) {
    op(0x23, opaque_zero_);
    if (!loop.wide) out_.push_back(0xa7);  // i32.wrap_i64
    out_.push_back(loop.wide ? 0x42 : 0x41);
    wasm_bytes::write_signed_leb(out_, loop.bound.constant);
    out_.push_back(loop.wide ? 0x84 : 0x72);  // or
    op(0x21, copy);
  }

  void get_local(uint32_t local) { op(0x20, local); }

  // Before memory.fill, memory.copy and memory.init, whose length n is on
  // top of the stack: one more unit per kLengthUnit bytes, so that fuel
  // bounds the work they do too (each is one instruction, whatever n).
  // local.tee t; (global.get G | local.get lent); local.get t;
  // [i64.extend_i32_u]; i64.const log2(kLengthUnit); i64.shr_u;
  // (i64.sub; global.set G; CHECK | SUBTRACT_FROM_LENT)
  void charge_length(bool wide, bool in_function_with_loops, uint32_t temp) {
    op(0x22, temp);
    if (in_function_with_loops)
      op(0x20, lent_);
    else
      op(0x23, global_);
    op(0x20, temp);
    if (!wide) out_.push_back(0xad);  // i64.extend_i32_u
    push_i64(kLengthUnitLog2);
    out_.push_back(0x88);  // i64.shr_u
    if (in_function_with_loops) return subtract_from_lent();
    out_.push_back(0x7d);
    op(0x24, global_);
    check(false);
  }

  // SAVE: local.get base; local.get lent; i64.add; global.set G
  void save() {
    op(0x20, base_);
    op(0x20, lent_);
    out_.push_back(0x7c);
    op(0x24, global_);
  }

  // After a call: SPLIT. When the callee is a function of the module, whose
  // entry looks at the floor on every call, the whole counter goes to
  // `lent` instead (base = 0): a loop that calls it sees an interruption
  // through it, and needs no slow path of its own.
  void reload(bool callee_checks_floor) {
    if (!callee_checks_floor) return split();
    op(0x23, global_);
    op(0x21, lent_);
    push_i64(0);
    op(0x21, base_);
  }

 private:
  void op(uint8_t opcode, uint32_t index) { wasm_bytes::write_indexed(out_, opcode, index); }
  void push_i64(int64_t value) { wasm_bytes::write_i64_const(out_, value); }

  // A region's charge as the constant the code subtracts: at least 1.
  static int64_t charge_constant(uint64_t charge) {
    return static_cast<int64_t>(std::max<uint64_t>(charge, 1));
  }

  // `if` with no result, hinted as not taken (kBranchHintSection), so that
  // Cranelift moves its body out of the hot path.
  void unlikely_if() {
    hints_.push_back({static_cast<uint32_t>(out_.size()), false});
    out_.insert(out_.end(), {0x04, 0x40});
  }

  void subtract_from_global(uint64_t charge) {
    op(0x23, global_);
    push_i64(charge_constant(charge));
    out_.push_back(0x7d);
    op(0x24, global_);
  }

  // SUBTRACT_FROM_LENT, with lent and the amount on the stack:
  // i64.sub; local.tee lent; i64.const 0; i64.lt_s;
  // if SAVE; SPLIT; TRAP_BELOW_FLOOR end
  // Saving first also writes the counter back should the check trap.
  void subtract_from_lent() {
    out_.push_back(0x7d);
    op(0x22, lent_);
    out_.insert(out_.end(), {0x42, 0x00, 0x53});
    unlikely_if();
    save();
    split();
    trap_below_floor();
    out_.push_back(0x0b);
  }

  // SPLIT: base = G & ~(kFuelSlice - 1); lent = G & (kFuelSlice - 1)
  void split() {
    op(0x23, global_);
    push_i64(~(kFuelSlice - 1));
    out_.push_back(0x83);
    op(0x21, base_);
    op(0x23, global_);
    push_i64(kFuelSlice - 1);
    out_.push_back(0x83);
    op(0x21, lent_);
  }

  // CHECK: global.get G; FLOOR; i64.lt_s; if unreachable end
  void check(bool in_loop) {
    op(0x23, global_);
    floor(in_loop);
    out_.push_back(0x53);
    unlikely_if();
    out_.insert(out_.end(), {0x00, 0x0b});
  }

  // TRAP_BELOW_FLOOR, CHECK without a branch: a load from the control
  // memory at 65536 (out of bounds) when the counter is below the floor,
  // at 0 otherwise. Without a branch, a loop's slow path is one block, which
  // Cranelift moves out of line whole; with one, the code after it (the
  // split's arithmetic, sunk there) stays in the hot path behind a jump.
  // global.get G; FLOOR; i64.lt_s; i32.const 16; i32.shl; i64.load; drop
  void trap_below_floor() {
    if (!memory_) {  // no control memory: a branch to `unreachable` it is
      check(true);
      return;
    }
    op(0x23, global_);
    floor(true);
    out_.insert(out_.end(), {0x53, 0x41, 0x10, 0x74, 0x29, 0x43});
    wasm_bytes::write_unsigned_leb(out_, *memory_);
    out_.insert(out_.end(), {0x00, 0x1a});
  }

  // FLOOR: the value the counter must not fall below: 0, or when
  // interruptible the control word (an i64.load from the control memory),
  // which the host raises to INT64_MAX to interrupt.
  //
  // In a loop the load's address is computed from the counter, as
  // `i32.wrap_i64(G >> 63)`: 0 while the counter is not negative, and 1
  // (bytes 1..8 of the page, still a positive floor or 0) when it is, so the
  // outcome is the same. Without that, Cranelift sees a load from a fixed
  // address in a loop that stores nothing there and reuses the first value,
  // and the loop would never see an interrupt.
  void floor(bool in_loop) {
    if (!memory_) {
      push_i64(0);
      return;
    }
    if (in_loop) {
      op(0x23, global_);
      out_.insert(out_.end(), {0x42, 0x3f, 0x88, 0xa7});  // i64.const 63; i64.shr_u; i32.wrap_i64
    } else {
      out_.insert(out_.end(), {0x41, 0x00});  // i32.const 0
    }
    out_.insert(out_.end(), {0x29, 0x43});  // i64.load align=8, memory index follows
    wasm_bytes::write_unsigned_leb(out_, *memory_);
    out_.push_back(0x00);  // offset
  }

  std::vector<uint8_t>& out_;
  std::vector<wasm_bytes::BranchHint>& hints_;
  uint32_t global_;
  uint32_t opaque_zero_;
  std::optional<uint32_t> memory_;
  uint32_t lent_;
  uint32_t base_;
};

// The locals the rewritten body adds after its own: `lent` and `base`
// (functions with loops) and one temporary per type that canonicalization
// needs.
struct ExtraLocals {
  uint32_t lent = 0;
  uint32_t base = 0;
  uint32_t trip_temps[3] = {};              // counted loops' trip counts
  std::map<size_t, uint32_t> bound_copies;  // by counted loop: its opaque bound
  uint32_t length_temps[2] = {};            // ChargeLength: an i32 and an i64
  uint32_t temps[4] = {};                   // by Shape
  deferred_stores::SlotLocals slots;        // Capture, Check
  std::vector<uint8_t> types;
};

ExtraLocals extra_locals(const BodyScan& scan, uint64_t first) {
  ExtraLocals extra;
  auto add = [&](uint8_t type) {
    uint64_t index = first + extra.types.size();
    if (index > UINT32_MAX) throw WasmDecodeError("too many locals");
    extra.types.push_back(type);
    return static_cast<uint32_t>(index);
  };
  if (scan.has_loop) {
    extra.lent = add(0x7e);
    extra.base = add(0x7e);
  }
  if (!scan.counted.empty())
    for (uint32_t& temp : extra.trip_temps) temp = add(0x7e);
  if (scan.length_types & 1) extra.length_temps[0] = add(0x7f);
  if (scan.length_types & 2) extra.length_temps[1] = add(0x7e);
  for (const Insertion& insertion : scan.insertions)
    if (insertion.edit == Edit::OpaqueBound)
      extra.bound_copies[insertion.loop_at] =
          add(scan.counted.at(insertion.loop_at).wide ? 0x7e : 0x7f);
  std::optional<uint32_t> v128;
  for (Shape shape : {Shape::F32, Shape::F64, Shape::F32x4, Shape::F64x2}) {
    if (!(scan.shapes_canonicalized & (1 << static_cast<int>(shape)))) continue;
    uint8_t type = nan_canonicalization::temp_type(shape);
    if (type == 0x7b && !v128) v128 = add(type);
    extra.temps[static_cast<int>(shape)] = type == 0x7b ? *v128 : add(type);
  }
  for (int wide = 0; wide < 2; ++wide) {
    for (uint32_t slot = 0; slot < deferred_stores::kMaxWindow; ++slot) {
      if (scan.value_slots[wide] & (1u << slot))
        extra.slots.value[wide][slot] = add(wide ? 0x7c : 0x7d);
      if (scan.address_slots[wide] & (1u << slot))
        extra.slots.address[wide][slot] = add(wide ? 0x7e : 0x7f);
    }
  }
  return extra;
}

// Appends the rewritten body to `out` (whose start is the body's start) and
// the branch hints of its injected `if`s to `hints`.
void write_instrumented_body(std::span<const uint8_t> body, const Injected& injected,
                             uint32_t params, std::vector<uint8_t>& out,
                             std::vector<wasm_bytes::BranchHint>& hints) {
  BodyScan scan = scan_body(body, injected.canonicalize_nans, injected.imported_functions,
                            injected.memory64, params);
  ExtraLocals extra = extra_locals(scan, params + scan.locals);
  out.reserve(body.size() + scan.insertions.size() * 12 + 16);
  if (extra.types.empty()) {
    out.insert(out.end(), body.begin(), body.begin() + scan.code_start);
  } else {  // the declarations, plus a group per added local
    wasm_bytes::write_unsigned_leb(out, uint64_t{scan.groups} + extra.types.size());
    out.insert(out.end(), body.begin() + scan.groups_end, body.begin() + scan.code_start);
    for (uint8_t type : extra.types) out.insert(out.end(), {0x01, type});
  }
  BodyWriter writer(out, hints, injected, extra.lent, extra.base);
  size_t copied = scan.code_start;
  for (const Insertion& insertion : scan.insertions) {
    out.insert(out.end(), body.begin() + copied, body.begin() + insertion.offset);
    copied = insertion.offset;
    switch (insertion.edit) {
      case Edit::Charge:
        if (!scan.has_loop)
          writer.charge_global(insertion.charge);
        else if (insertion.offset == scan.code_start)
          writer.charge_entry(insertion.charge);
        else
          writer.charge_loop(insertion.charge);
        break;
      case Edit::Precharge: {
        const counted_loops::CountedLoop& loop = scan.counted.at(insertion.offset);
        writer.precharge(loop, insertion.charge, extra.trip_temps);
        if (auto copy = extra.bound_copies.find(insertion.offset); copy != extra.bound_copies.end())
          writer.copy_bound(loop, copy->second);
        break;
      }
      case Edit::ChargeLength:
        writer.charge_length(insertion.wide_length, scan.has_loop,
                             extra.length_temps[insertion.wide_length ? 1 : 0]);
        break;
      case Edit::OpaqueBound: {
        writer.get_local(extra.bound_copies.at(insertion.loop_at));
        copied += scan.counted.at(insertion.loop_at).bound_size;  // the constant, replaced
        break;
      }
      case Edit::Save:
        if (scan.has_loop) writer.save();
        break;
      case Edit::Reload:
        if (scan.has_loop) writer.reload(insertion.callee_checks_floor);
        break;
      case Edit::Canonicalize:
        nan_canonicalization::write_canonicalize(
            out, insertion.shape, extra.temps[static_cast<int>(insertion.shape)], hints);
        break;
      case Edit::Capture:
        deferred_stores::write_capture(out, insertion.shape, insertion.slot, insertion.keep_address,
                                       extra.slots);
        break;
      case Edit::Check:
        deferred_stores::write_check(out, scan.windows.at(insertion.window), extra.slots,
                                     extra.temps[static_cast<int>(insertion.shape)], hints);
        break;
    }
  }
  out.insert(out.end(), body.begin() + copied, body.end());
}

// The rewritten code section, and the branch hints for the `if`s injected
// into it: the content of a `metadata.code.branch_hint` custom section
// (function index, then each hinted instruction's offset from the start of
// the body, with a 1-byte hint of 0: not taken).
struct InstrumentedCode {
  std::vector<uint8_t> code;
  std::vector<uint8_t> branch_hints;
};

// `params[i]`: the number of parameters of the i-th function defined here.
InstrumentedCode instrumented_code_section(std::span<const uint8_t> content,
                                           const Injected& injected,
                                           const std::vector<uint32_t>& params) {
  Reader in(content);
  uint32_t count = in.u32();
  if (count != params.size()) throw WasmDecodeError("function and code sections disagree");
  InstrumentedCode result;
  wasm_bytes::write_unsigned_leb(result.code, count);
  std::vector<uint8_t> hint_bytes;
  uint32_t hinted_functions = 0;
  std::vector<uint8_t> instrumented;
  std::vector<wasm_bytes::BranchHint> hints;
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> body = in.take(in.u32());
    instrumented.clear();
    hints.clear();
    write_instrumented_body(body, injected, params[i], instrumented, hints);
    wasm_bytes::write_unsigned_leb(result.code, instrumented.size());
    wasm_bytes::write_bytes(result.code, instrumented);
    if (hints.empty()) continue;
    ++hinted_functions;
    wasm_bytes::write_unsigned_leb(hint_bytes, uint64_t{injected.imported_functions} + i);
    wasm_bytes::write_unsigned_leb(hint_bytes, hints.size());
    for (const wasm_bytes::BranchHint& hint : hints) {
      wasm_bytes::write_unsigned_leb(hint_bytes, hint.offset);
      hint_bytes.insert(hint_bytes.end(), {0x01, static_cast<uint8_t>(hint.likely ? 1 : 0)});
    }
  }
  if (!in.at_end()) throw WasmDecodeError("trailing bytes in the code section");
  wasm_bytes::write_name(result.branch_hints, kBranchHintSection);
  wasm_bytes::write_unsigned_leb(result.branch_hints, hinted_functions);
  wasm_bytes::write_bytes(result.branch_hints, hint_bytes);
  return result;
}

// ---- The module ----

// The number of parameters of each type in the type section.
std::vector<uint32_t> type_params(std::span<const uint8_t> content) {
  Reader in(content);
  uint32_t count = in.u32();
  std::vector<uint32_t> params;
  for (uint32_t i = 0; i < count; ++i) {
    if (in.byte() != 0x60) throw WasmDecodeError("unsupported type (GC is off)");
    uint32_t n = in.u32();
    for (uint32_t j = 0; j < n; ++j) skip_value_type(in);
    uint32_t results = in.u32();
    for (uint32_t j = 0; j < results; ++j) skip_value_type(in);
    params.push_back(n);
  }
  return params;
}

// The number of parameters of each function the function section defines.
std::vector<uint32_t> function_params(std::span<const uint8_t> content,
                                      const std::vector<uint32_t>& types) {
  Reader in(content);
  uint32_t count = in.u32();
  std::vector<uint32_t> params;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t type = in.u32();
    if (type >= types.size()) throw WasmDecodeError("function type index out of range");
    params.push_back(types[type]);
  }
  return params;
}

struct ImportCounts {
  std::vector<bool> memory64;  // of the imported memories: is each 64-bit
  uint32_t functions = 0;
  uint32_t globals = 0;
};

ImportCounts count_imports(std::span<const uint8_t> content) {
  Reader in(content);
  uint32_t count = in.u32();
  ImportCounts imported;
  for (uint32_t i = 0; i < count; ++i) {
    in.skip(in.u32());  // module name
    in.skip(in.u32());  // field name
    switch (uint8_t kind = in.byte()) {
      case 0x00:  // function
        in.u32();
        ++imported.functions;
        break;
      case 0x01:  // table
        skip_value_type(in);
        skip_limits(in);
        break;
      case 0x02:  // memory
        imported.memory64.push_back(in.peek() & 0x04);
        skip_limits(in);
        break;
      case 0x03:  // global
        skip_value_type(in);
        in.byte();
        ++imported.globals;
        break;
      case 0x04:  // tag
        in.byte();
        in.u32();
        break;
      default:
        throw WasmDecodeError(fmt::format("unknown import kind {}", kind));
    }
  }
  return imported;
}

// The section's vector with `extra` entries appended.
std::vector<uint8_t> extended_vector(std::optional<std::span<const uint8_t>> content,
                                     std::span<const uint8_t> extra, uint32_t extra_count) {
  uint32_t count = 0;
  std::span<const uint8_t> entries;
  if (content) {
    Reader in(*content);
    count = in.u32();
    entries = content->subspan(in.position());
  }
  std::vector<uint8_t> out;
  wasm_bytes::write_unsigned_leb(out, uint64_t{count} + extra_count);
  wasm_bytes::write_bytes(out, entries);
  wasm_bytes::write_bytes(out, extra);
  return out;
}

void check_export_names(std::span<const uint8_t> content) {
  Reader in(content);
  uint32_t count = in.u32();
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> bytes = in.take(in.u32());
    std::string_view name(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (is_engine_export(name))
      throw WasmDecodeError(fmt::format("the export name '{}' is reserved for the engine", name));
    in.byte();
    in.u32();
  }
}

void write_export(std::vector<uint8_t>& out, std::string_view name, uint8_t kind, uint32_t index) {
  wasm_bytes::write_name(out, name);
  out.push_back(kind);
  wasm_bytes::write_unsigned_leb(out, index);
}

std::vector<uint8_t> instrument(std::span<const uint8_t> wasm,
                                const InstrumentationOptions& options) {
  static constexpr uint8_t kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (wasm.size() < 8 || !std::equal(std::begin(kHeader), std::end(kHeader), wasm.begin()))
    throw WasmDecodeError("not a core WebAssembly module (version 1)");
  Reader in(wasm.subspan(8));
  std::vector<Section> sections;
  std::optional<std::span<const uint8_t>> memories, globals, exports;
  std::optional<uint32_t> start;
  std::vector<uint32_t> types, params;
  ImportCounts imported;
  while (!in.at_end()) {
    uint8_t id = in.byte();
    std::span<const uint8_t> content = in.take(in.u32());
    sections.push_back({id, content});
    if (id == kImport) imported = count_imports(content);
    if (id == kMemory) memories = content;
    if (id == kGlobal) globals = content;
    if (id == kExport) exports = content;
    if (id == kStart) start = Reader(content).u32();
    if (id == kType) types = type_params(content);
    if (id == kFunction) params = function_params(content, types);
  }
  if (exports) check_export_names(*exports);
  Injected injected{imported.globals + (globals ? Reader(*globals).u32() : 0)};
  injected.opaque_zero = injected.fuel_global + 1;
  injected.memory64 = imported.memory64;
  if (memories) {
    Reader in(*memories);
    for (uint32_t count = in.u32(), i = 0; i < count; ++i) {
      injected.memory64.push_back(in.peek() & 0x04);
      skip_limits(in);
    }
  }
  injected.imported_functions = imported.functions;
  injected.canonicalize_nans = options.canonicalize_nans;
  if (options.interruptible)  // after the module's own memories
    injected.control_memory = static_cast<uint32_t>(injected.memory64.size());

  // Appended entries: (memory 1 1) when interruptible, two globals (below),
  // and the exports of the memory, the fuel counter and the start function.
  static constexpr uint8_t kControlMemory[] = {0x01, 0x01, 0x01};
  // (global (mut i64) (i64.const 0)) twice: the fuel counter, and a zero
  // the code reads but never writes (BodyWriter::copy_bound).
  static constexpr uint8_t kInjectedGlobals[] = {0x7e, 0x01, 0x42, 0x00, 0x0b,
                                                 0x7e, 0x01, 0x42, 0x00, 0x0b};
  std::vector<uint8_t> new_exports;
  uint32_t new_export_count = 1;
  write_export(new_exports, kFuelExport, 0x03, injected.fuel_global);
  if (start) {
    write_export(new_exports, kStartExport, 0x00, *start);
    ++new_export_count;
  }
  if (injected.control_memory) {
    write_export(new_exports, kControlExport, 0x02, *injected.control_memory);
    ++new_export_count;
  }
  struct Appended {
    uint8_t id;
    std::optional<std::span<const uint8_t>> original;
    std::span<const uint8_t> extra;
    uint32_t extra_count;
    bool written = false;
  };
  std::vector<Appended> appended;
  if (injected.control_memory) appended.push_back({kMemory, memories, kControlMemory, 1});
  appended.push_back({kGlobal, globals, kInjectedGlobals, 2});
  appended.push_back({kExport, exports, new_exports, new_export_count});

  std::vector<uint8_t> out(std::begin(kHeader), std::end(kHeader));
  // Each extended section goes where the original was, or where it would be.
  auto write_pending = [&](int before_rank) {
    for (Appended& section : appended) {
      if (section.written || before_rank <= section_rank(section.id)) continue;
      write_section(out, section.id,
                    extended_vector(section.original, section.extra, section.extra_count));
      section.written = true;
    }
  };
  for (const Section& section : sections) {
    if (section.id != kCustom) write_pending(section_rank(section.id));
    bool replaced = std::any_of(appended.begin(), appended.end(),
                                [&](const Appended& a) { return a.id == section.id; });
    if (replaced || section.id == kStart || is_branch_hint_section(section)) continue;
    if (section.id == kCode) {
      // Branch hints go before the code section they describe.
      InstrumentedCode code = instrumented_code_section(section.content, injected, params);
      write_section(out, kCustom, code.branch_hints);
      write_section(out, kCode, code.code);
    } else {
      write_section(out, section.id, section.content);
    }
  }
  write_pending(100);
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> instrument_module(std::span<const uint8_t> wasm,
                                               const InstrumentationOptions& options) {
  try {
    return instrument(wasm, options);
  } catch (const WasmDecodeError& e) {
    return make_error(fmt::format("cannot instrument the module: {}", e.what()));
  }
}

}  // namespace interstice::engine
