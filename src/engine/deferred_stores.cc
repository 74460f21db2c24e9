#include "engine/deferred_stores.h"

#include <algorithm>
#include <bit>

#include "engine/wasm_instructions.h"

namespace interstice::engine::deferred_stores {

using nan_canonicalization::Consumer;
using wasm_bytes::Memarg;
using wasm_bytes::read_memarg;
using wasm_bytes::Reader;

namespace {

constexpr uint8_t kF32Store = 0x38;
constexpr uint8_t kF64Store = 0x39;
constexpr uint8_t kF32Load = 0x2a;
constexpr uint8_t kF64Load = 0x2b;

// Bytes accessed by a load (0x28..0x35) or store (0x36..0x3e).
uint32_t access_width(uint8_t opcode) {
  static constexpr uint8_t kWidths[] = {4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4,  // loads
                                        4, 8, 4, 8, 1, 2, 1, 2, 4};                // stores
  return kWidths[opcode - 0x28];
}

bool is_load(uint8_t opcode) {
  return opcode >= 0x28 && opcode <= 0x35;
}
bool is_store(uint8_t opcode) {
  return opcode >= 0x36 && opcode <= 0x3e;
}

constexpr int64_t kNear = 1 << 16;  // how far apart same-base accesses are compared

}  // namespace

bool disjoint(const Address& a, const Address& b) {
  if (a.memory != b.memory) return true;
  if (a.base != b.base) return false;
  if (a.base == 0) {  // two constant addresses: their effective addresses, exactly
    auto effective = [](const Address& x) {
      uint64_t address =
          x.wide ? static_cast<uint64_t>(x.displacement) : static_cast<uint32_t>(x.displacement);
      return static_cast<unsigned __int128>(address) + x.offset;
    };
    unsigned __int128 from_a = effective(a), from_b = effective(b);
    return from_a + a.width <= from_b || from_b + b.width <= from_a;
  }
  // The same value plus displacements: unless an add wrapped around between
  // them, the places are `displacement + offset` apart; if one did, they are
  // about 2^32 (or 2^64) apart, and disjoint anyway.
  if (a.offset >= kNear || b.offset >= kNear) return false;
  int64_t apart = b.displacement - a.displacement;
  if (apart <= -kNear || apart >= kNear) return false;
  int64_t from_a = static_cast<int64_t>(a.offset), from_b = apart + static_cast<int64_t>(b.offset);
  return from_a + a.width <= from_b || from_b + b.width <= from_a;
}

bool same_or_apart(const Address& a, const Address& b) {
  if (a.memory != b.memory || a.width != b.width || !std::has_single_bit(a.width)) return false;
  auto multiple = [](const Address& x) {
    return x.base == 0 || (x.zeros < 64 && (uint64_t{1} << x.zeros) >= x.width);
  };
  if (!multiple(a) || !multiple(b)) return false;
  uint64_t from_a = static_cast<uint64_t>(a.displacement) + a.offset;
  uint64_t from_b = static_cast<uint64_t>(b.displacement) + b.offset;
  return ((from_a - from_b) & (a.width - 1)) == 0;
}

Planner::Planner(std::span<const uint8_t> body, size_t code_start, uint32_t params,
                 const nan_canonicalization::LocalAbsorption& absorption,
                 const std::vector<bool>& memory64)
    : body_(body), locals_(absorption), memory64_(memory64) {
  // Alignment only matters to a body with float stores (a byte of their
  // opcodes anywhere is enough to look).
  auto code = body.subspan(code_start);
  if (std::find(code.begin(), code.end(), kF32Store) != code.end() ||
      std::find(code.begin(), code.end(), kF64Store) != code.end())
    read_zeros_ = address_alignment::read_zeros(body, code_start, params);
}

address_alignment::Known Planner::known(const Value& value) {
  address_alignment::Known displacement = address_alignment::constant(value.displacement);
  if (value.base == 0) return displacement;
  return {std::min(value.zeros, displacement.zeros), {}};
}

std::optional<Slot> Planner::defer(const Consumer& consumer, Shape shape) {
  uint8_t store = shape == Shape::F64 ? kF64Store : shape == Shape::F32 ? kF32Store : 0;
  if (store == 0 || consumer.opcode != store || !consumer.writes.empty()) return std::nullopt;
  Reader in(body_);
  in.skip(consumer.at + 1);
  Memarg memarg = read_memarg(in);
  if (memarg.memory >= memory64_.size()) return std::nullopt;
  uint32_t index = 0;
  while (index < kMaxWindow && (busy_ & (1u << index))) ++index;
  if (index == kMaxWindow) return std::nullopt;  // checked on its own
  Slot slot{index, memory64_[memarg.memory], captures_++};
  busy_ |= 1u << index;
  value_slots_[shape == Shape::F64] |= 1u << index;
  address_slots_[slot.wide_address] |= 1u << index;
  auto bytes = body_.subspan(consumer.at + 1, in.position() - consumer.at - 1);
  pending_[consumer.at] = {shape, {slot, store, {bytes.begin(), bytes.end()}, {}}};
  return slot;
}

std::optional<Window> Planner::before(size_t at) {
  Reader in(body_);
  in.skip(at);
  uint8_t opcode = in.byte();
  uint32_t op = opcode == 0xfc || opcode == 0xfd ? in.u32() : 0;
  std::optional<Window> closed;
  if (auto found = pending_.find(at); found != pending_.end()) {
    Pending pending = std::move(found->second);
    pending_.erase(found);
    if (window_ && window_->shape != pending.shape) closed = take_window();
    if (!window_) window_ = Window{pending.shape, {}};
    pending.store.address = address_of(opcode, in, 2);
    window_->stores.push_back(std::move(pending.store));
  } else if (window_ && closes_window(opcode, op, in)) {
    closed = take_window();
  }
  simulate(at, opcode, op, in);
  return closed;
}

bool Planner::closes_window(uint8_t opcode, uint32_t op, Reader immediates) {
  if (is_store(opcode)) return touches_window(address_of(opcode, immediates, 2));
  if (is_load(opcode)) {
    Address load = address_of(opcode, immediates, 1);
    if (!touches_window(load)) return false;
    // A float read back from exactly where the window stored one of its
    // width, into instructions that absorb its NaNs, is harmless.
    bool f32 = opcode == kF32Load, f64 = opcode == kF64Load;
    if (!f32 && !f64) return true;
    for (const StoredValue& store : window_->stores) {
      const Address& place = store.address;
      bool same = place.memory == load.memory && place.base == load.base &&
                  place.displacement == load.displacement && place.offset == load.offset &&
                  place.width == load.width;
      if (same || disjoint(place, load)) continue;
      if (!same_or_apart(place, load) || aligned_group_done(place)) return true;
    }
    Reader after = immediates;
    read_memarg(after);
    Consumer consumer = nan_canonicalization::find_consumer(body_, after.position());
    return !locals_.absorbs(consumer, f64 ? Shape::F64 : Shape::F32);
  }
  if (opcode == 0xfc) return op > 7;                                        // bulk memory, tables
  if (opcode == 0xfd && (op <= 11 || (op >= 84 && op <= 93))) return true;  // v128 memory
  return !nan_canonicalization::stack_effect(opcode, op);  // control, calls, the unmodelled
}

// Whether the window already stored kAlignedGroup values through `place`'s
// base (a struct's fields through one pointer): then a load that only
// alignment tells from them closes it. Measured: fft's butterfly, whose
// windows of one and two stores through two pointers merge into one check
// instead of three, gains; nbody's, three stores through `a` and then three
// through `b`, ran about 5% slower as one window than as two.
bool Planner::aligned_group_done(const Address& place) const {
  uint32_t stores = 0;
  for (const StoredValue& store : window_->stores)
    stores += store.address.base == place.base && store.address.memory == place.memory;
  return stores >= kAlignedGroup;
}

bool Planner::touches_window(const Address& access) const {
  for (const StoredValue& store : window_->stores)
    if (!disjoint(store.address, access)) return true;
  return false;
}

// The access of the load or store at hand, whose address is `depth` values
// down the stack.
Address Planner::address_of(uint8_t opcode, Reader immediates, int depth) {
  Memarg memarg = read_memarg(immediates);
  // A value from before the last control instruction is unknown: fresh.
  Value value =
      stack_.size() >= static_cast<size_t>(depth) ? stack_[stack_.size() - depth] : fresh();
  Address address;
  address.base = value.base;
  address.displacement = value.displacement;
  address.offset = memarg.offset;
  address.width = access_width(opcode);
  address.zeros = value.base == 0 ? address_alignment::kMaxZeros : value.zeros;
  address.memory = memarg.memory;
  address.wide = memarg.memory < memory64_.size() && memory64_[memarg.memory];
  return address;
}

Planner::Value Planner::pop() {
  if (stack_.empty()) return fresh();
  Value value = stack_.back();
  stack_.pop_back();
  return value;
}

// What the instruction does to the values Address follows: constants,
// locals, and adds of a constant; any other result is a fresh value, with
// the low zero bits address_alignment knows of it.
void Planner::simulate(size_t at, uint8_t opcode, uint32_t op, Reader immediates) {
  switch (opcode) {
    case 0x20: {  // local.get
      uint32_t local = immediates.u32();
      auto [found, added] = local_values_.try_emplace(local);
      if (added) {
        auto zeros = read_zeros_.find(at);
        found->second = fresh(zeros != read_zeros_.end() ? zeros->second : 0);
      }
      stack_.push_back(found->second);
      return;
    }
    case 0x21:  // local.set
      local_values_[immediates.u32()] = pop();
      return;
    case 0x22: {  // local.tee
      Value value = pop();
      local_values_[immediates.u32()] = value;
      stack_.push_back(value);
      return;
    }
    case 0x41:  // i32.const
      stack_.push_back({0, static_cast<int32_t>(immediates.signed_leb(32))});
      return;
    case 0x42:  // i64.const
      stack_.push_back({0, immediates.signed_leb(64)});
      return;
    case 0x6a:    // i32.add
    case 0x7c: {  // i64.add
      Value b = pop(), a = pop();
      if (a.base != 0 && b.base != 0) {
        stack_.push_back(fresh(std::min(known(a).zeros, known(b).zeros)));
        sums_[stack_.back().base] = {a, b};
        return;
      }
      uint64_t sum = static_cast<uint64_t>(a.displacement) + static_cast<uint64_t>(b.displacement);
      int64_t displacement = opcode == 0x6a ? static_cast<int32_t>(static_cast<uint32_t>(sum))
                                            : static_cast<int64_t>(sum);
      stack_.push_back({a.base + b.base, displacement, a.base != 0 ? a.zeros : b.zeros});
      return;
    }
    default:
      break;
  }
  if (int count = address_alignment::operand_count(opcode); count > 0) {
    address_alignment::Known operands[3];
    for (int i = count - 1; i >= 0; --i) operands[i] = known(pop());
    stack_.push_back(fresh(address_alignment::result(opcode, std::span(operands, count))->zeros));
    return;
  }
  if (std::optional<nan_canonicalization::StackEffect> effect =
          nan_canonicalization::stack_effect(opcode, op)) {
    for (int i = 0; i < effect->pops; ++i) pop();
    for (int i = 0; i < effect->pushes; ++i) stack_.push_back(fresh());
    return;
  }
  // Control flow, calls, the unmodelled: the stack is forgotten; the locals
  // too, except across a call (which cannot write them).
  stack_.clear();
  if (opcode != 0x10 && opcode != 0x11 && opcode != 0x14) local_values_.clear();
}

Window Planner::take_window() {
  Window window = std::move(*window_);
  window_.reset();
  for (StoredValue& store : window.stores) {
    busy_ &= ~(1u << store.slot.index);
    store.recomputed = recompute(store.address, store.slot.wide_address);
  }
  return window;
}

// The address from the locals as they are where the window closes: a sum
// of two locals first (they are most often live anyway, as loop counters
// and strides are, where a local that holds the address itself would be
// kept in a register for the check alone), else one local.
std::optional<Recomputed> Planner::recompute(const Address& address, bool wide) const {
  auto wrap = [&](uint64_t delta) {
    return wide ? static_cast<int64_t>(delta) : static_cast<int64_t>(static_cast<int32_t>(delta));
  };
  if (address.base == 0)
    return Recomputed{Recomputed::kConstant, Recomputed::kNone, address.displacement};
  // A local holding `value`'s base, and what to add to it to get `value`.
  auto holder = [&](const Value& value) -> std::optional<std::pair<uint32_t, uint64_t>> {
    for (const auto& [local, held] : local_values_)
      if (held.base == value.base)
        return std::pair{local, static_cast<uint64_t>(value.displacement) - held.displacement};
    return std::nullopt;
  };
  if (auto sum = sums_.find(address.base); sum != sums_.end()) {
    auto first = holder(sum->second.first), second = holder(sum->second.second);
    if (first && second) {
      uint64_t delta = first->second + second->second + static_cast<uint64_t>(address.displacement);
      return Recomputed{first->first, second->first, wrap(delta)};
    }
  }
  if (auto one = holder(Value{address.base, address.displacement, 0}))
    return Recomputed{one->first, Recomputed::kNone, wrap(one->second)};
  return std::nullopt;
}

void write_capture(std::vector<uint8_t>& out, Shape shape, Slot slot, bool keep_address,
                   const SlotLocals& locals) {
  uint32_t value = locals.value[shape == Shape::F64][slot.index];
  if (!keep_address) return wasm_bytes::write_indexed(out, 0x22, value);
  wasm_bytes::write_indexed(out, 0x21, value);
  wasm_bytes::write_indexed(out, 0x22, locals.address[slot.wide_address][slot.index]);
  wasm_bytes::write_indexed(out, 0x20, value);
}

void write_check(std::vector<uint8_t>& out, const Window& window, const SlotLocals& locals,
                 uint32_t temp, std::vector<wasm_bytes::BranchHint>& hints) {
  bool f64 = window.shape == Shape::F64;
  auto value = [&](const StoredValue& store) { return locals.value[f64][store.slot.index]; };
  // SUM; local.set T; local.get T; local.get T; GE; if (likely) else
  // (ADDRESS; CANONICAL VALUE; STORE)... end
  // The sum goes in the stores' order, as their values are most often
  // ready: the check then waits for one add after the last of them.
  for (size_t i = 0; i < window.stores.size(); ++i) {
    wasm_bytes::write_indexed(out, 0x20, value(window.stores[i]));
    if (i > 0) out.push_back(f64 ? 0xa0 : 0x92);  // add
  }
  nan_canonicalization::write_nan_branch(out, window.shape, temp, hints);
  for (const StoredValue& store : window.stores) {
    bool wide = store.slot.wide_address;
    if (!store.recomputed) {
      wasm_bytes::write_indexed(out, 0x20, locals.address[wide][store.slot.index]);
    } else if (store.recomputed->local == Recomputed::kConstant) {
      out.push_back(wide ? 0x42 : 0x41);
      wasm_bytes::write_signed_leb(out, store.recomputed->delta);
    } else {
      wasm_bytes::write_indexed(out, 0x20, store.recomputed->local);
      if (store.recomputed->second != Recomputed::kNone) {
        wasm_bytes::write_indexed(out, 0x20, store.recomputed->second);
        out.push_back(wide ? 0x7c : 0x6a);  // add
      }
      if (store.recomputed->delta != 0) {
        out.push_back(wide ? 0x42 : 0x41);
        wasm_bytes::write_signed_leb(out, store.recomputed->delta);
        out.push_back(wide ? 0x7c : 0x6a);  // add
      }
    }
    // CANONICAL; VALUE; VALUE; VALUE; NE; select: no branch, so that the
    // whole path stays one cold block.
    nan_canonicalization::write_canonical_nan(out, window.shape);
    for (int i = 0; i < 3; ++i) wasm_bytes::write_indexed(out, 0x20, value(store));
    out.push_back(f64 ? 0x62 : 0x5c);  // ne
    out.push_back(0x1b);               // select
    out.push_back(store.opcode);
    out.insert(out.end(), store.memarg.begin(), store.memarg.end());
  }
  out.push_back(0x0b);
}

}  // namespace interstice::engine::deferred_stores
