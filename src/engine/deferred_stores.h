// Deferred NaN checks of stored floats, for the module rewriter
// (instrumentation.h, nan_canonicalization.h).
//
// A float result that goes straight into an `f32.store` or `f64.store` must
// be canonical in memory. Checking each one before its store costs a compare
// and a branch per store, and on x86 those branches, which wait for the long
// chains of float arithmetic behind them, cost far more than their two
// instructions (a physics step that stores six results ran 1.5x slower with
// six checks than with none). So such a result is stored as it is, and kept
// with its address in two locals; one check for the whole *window* of such
// stores comes later, on the sum of the values (NaN when one of them is, or
// for opposite infinities), and only when it fails does an out-of-line path
// store every value of the window again, canonicalized, in the same order.
//
// A window is a piece of straight-line code. It closes (the check goes in)
// before anything that could see the raw bits in memory or leave the piece:
// any control instruction or call, bulk memory and SIMD memory access, any
// instruction the rewriter does not model, and any other load or store that
// may touch a place the window stored to. A load or store touches none when
// the rewriter can tell from the addresses (Address): the same value plus
// constants that keep the two places apart. The exception is a float load
// whose value only goes into instructions that absorb its NaNs, of either
// exactly a place the window stored a float of its width to or, for each
// place it may touch, a place of that width that is the same or apart by
// alignment (same_or_apart): a raw NaN read back gives what the canonical
// one would, and a float read from elsewhere is not one of the window's.
// Stores of one window are all f32 or all f64, at most kMaxWindow of them.
//
// The one thing that sees the difference is a trap inside a window: memory
// then keeps the values stored before the trap, which may include a NaN with
// the CPU's bits. The runtime replaces an instance after any trap, so no
// module sees them (docs/engine.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "engine/address_alignment.h"
#include "engine/nan_canonicalization.h"
#include "engine/wasm_bytes.h"

namespace interstice::engine::deferred_stores {

using nan_canonicalization::Shape;

constexpr uint32_t kMaxWindow = 8;
// A load that alignment alone tells from a place of the window
// (same_or_apart) closes it when the window stored this many values
// through that place's base (Planner::aligned_group_done).
constexpr uint32_t kAlignedGroup = 3;

// A deferred store's two locals, by slot: the value's (f32 or f64) and the
// address's (i32, or i64 for a 64-bit memory).
struct Slot {
  uint32_t index = 0;
  bool wide_address = false;
  uint32_t capture = 0;  // which deferred value it holds: 0, 1, ... in the body's order
};

// Where a load or store goes, as far as the rewriter can tell: the address
// operand is a value known only by an id (`base`; 0 for a constant) plus a
// `displacement` added to it by constant adds (or the constant itself).
struct Address {
  uint64_t base = 0;
  int64_t displacement = 0;
  uint64_t offset = 0;  // the memarg's
  uint32_t width = 0;   // bytes accessed
  uint8_t zeros = 0;    // low zero bits known of `base` (address_alignment.h)
  uint32_t memory = 0;
  bool wide = false;  // a 64-bit memory
};

// Whether the two accesses provably touch no byte in common (the same
// memory, the same base, displacements and offsets below 2^16 apart, or two
// constant addresses; anything else may overlap).
bool disjoint(const Address& a, const Address& b);

// Whether the two accesses touch either the very same bytes or none in
// common: the same memory and power-of-two width W, both bases multiples of
// W (constants count as such), and `displacement + offset` equal modulo W.
// The adds that wrap keep this, as 2^32 and 2^64 are multiples of W.
bool same_or_apart(const Address& a, const Address& b);

// An address the check can compute again where the window closes: a
// local's value there, or the sum of two locals' values, plus `delta` (or
// the constant `delta`), so that the address need not be kept in a local of
// its own (a register) until then.
struct Recomputed {
  static constexpr uint32_t kConstant = UINT32_MAX;
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t local = kConstant;
  uint32_t second = kNone;  // a local added to `local`'s value
  int64_t delta = 0;
};

// A store of the window, to do again if the check fails.
struct StoredValue {
  Slot slot;
  uint8_t opcode = 0;           // f32.store or f64.store
  std::vector<uint8_t> memarg;  // its immediates, as they were
  Address address;
  std::optional<Recomputed> recomputed;  // else its address is in the slot
};

struct Window {
  Shape shape = Shape::F64;
  std::vector<StoredValue> stores;
};

// Decides, while the rewriter scans a body in order, which results are
// deferred and where windows close. Single-threaded, one body at a time.
class Planner {
 public:
  // `params`: how many parameters the function has.
  Planner(std::span<const uint8_t> body, size_t code_start, uint32_t params,
          const nan_canonicalization::LocalAbsorption& absorption,
          const std::vector<bool>& memory64);

  // At the start of each instruction, before its other edits: the window to
  // check here, if one closes.
  std::optional<Window> before(size_t at);

  // After a canonicalizing op of `shape` consumed by `consumer`: the slot to
  // keep the value and its address in, when its check is deferred.
  std::optional<Slot> defer(const nan_canonicalization::Consumer& consumer, Shape shape);

  // Which slots each local type needs: bit per slot.
  uint32_t value_slots(Shape shape) const { return value_slots_[shape == Shape::F64]; }
  uint32_t address_slots(bool wide) const { return address_slots_[wide]; }

 private:
  // A value on the stack or in a local, for Address.
  struct Value {
    uint64_t base = 0;  // 0: the constant `displacement`
    int64_t displacement = 0;
    uint8_t zeros = 0;  // low zero bits known of `base`
  };
  static address_alignment::Known known(const Value& value);
  std::optional<Recomputed> recompute(const Address& address, bool wide) const;

  bool closes_window(uint8_t opcode, uint32_t op, wasm_bytes::Reader immediates);
  bool touches_window(const Address& access) const;
  bool aligned_group_done(const Address& place) const;
  Address address_of(uint8_t opcode, wasm_bytes::Reader immediates, int depth);
  void simulate(size_t at, uint8_t opcode, uint32_t op, wasm_bytes::Reader immediates);
  Value pop();
  Value fresh(uint8_t zeros = 0) { return {++next_base_, 0, zeros}; }
  Window take_window();

  struct Pending {
    Shape shape;
    StoredValue store;
  };

  std::span<const uint8_t> body_;
  const nan_canonicalization::LocalAbsorption& locals_;
  const std::vector<bool>& memory64_;
  std::map<size_t, Pending> pending_;  // by the offset of its store, not reached yet
  std::optional<Window> window_;
  uint32_t busy_ = 0;  // slots of the window and the pending stores, bit per slot
  uint32_t value_slots_[2] = {};
  uint32_t address_slots_[2] = {};
  // What the code before the current instruction left: the stack (its part
  // since the last control instruction) and the locals (since the last
  // branch target), for Address.
  std::vector<Value> stack_;
  std::map<uint32_t, Value> local_values_;
  // Low zero bits known of the reads of locals (address_alignment::read_zeros),
  // for a read whose value is not followed; empty when the body stores no
  // float.
  std::map<size_t, uint8_t> read_zeros_;
  // Values made by adding two values that are not constants: the two, by
  // the sum's base.
  std::map<uint64_t, std::pair<Value, Value>> sums_;
  uint64_t next_base_ = 0;
  uint32_t captures_ = 0;
};

// The locals of the slots, by type.
struct SlotLocals {
  uint32_t value[2][kMaxWindow] = {};    // [f64?][slot]
  uint32_t address[2][kMaxWindow] = {};  // [wide?][slot]
};

// At the deferred value (on top of the stack, its address under it):
// local.set V; local.tee A; local.get V, or just local.tee V when the check
// computes the address again. The store follows as it was.
void write_capture(std::vector<uint8_t>& out, Shape shape, Slot slot, bool keep_address,
                   const SlotLocals& locals);

// The window's check: the sum of its values tested like one value
// (nan_canonicalization::write_canonicalize), and out of line each store
// again with its value canonicalized by a `select` (no branch, so that the
// path stays one cold block). `temp` is a local of the shape's type.
void write_check(std::vector<uint8_t>& out, const Window& window, const SlotLocals& locals,
                 uint32_t temp, std::vector<wasm_bytes::BranchHint>& hints);

}  // namespace interstice::engine::deferred_stores
