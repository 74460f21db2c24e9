// Known alignment of integer values, for the deferred store checks
// (deferred_stores.h): how many low bits of a value are surely zero. Two
// accesses of the same power-of-two width W whose addresses are multiples
// of W plus the same constant modulo W either touch the very same bytes or
// none in common, even when nothing else is known about them.
//
// The rules follow from arithmetic modulo 2^k: adds, subtractions, ors and
// xors keep the fewer zero bits of their operands, a product the sum of
// them, an `and` the more, a left shift adds its constant count, extends
// and wraps keep them; anything else is unknown (no zero bits known).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

namespace interstice::engine::address_alignment {

// Low zero bits past this are not counted (a zero has this many).
constexpr uint8_t kMaxZeros = 16;

// What is known of an integer value: its low zero bits, and the value
// itself when it is a constant.
struct Known {
  uint8_t zeros = 0;
  std::optional<int64_t> constant;
};

Known constant(int64_t value);

// The result of the instruction (`opcode`, without a prefix) from its
// operands, the first pushed first; nullopt when the instruction is not one
// these rules follow. `operands` holds as many values as it pops.
std::optional<Known> result(uint8_t opcode, std::span<const Known> operands);
// How many operands `result` takes for `opcode` (0 when it follows none).
int operand_count(uint8_t opcode);

// For each read of a local in the body (by the offset of its local.get),
// the low zero bits that every value it can see has: the least of those of
// the writes that reach it (reaching_writes.h), the declared locals' zero
// at the start counting as all zeros and the parameters as unknown. Reads
// missing from the map are unknown (also all of them when the control flow
// is not modelled or no fixpoint is found soon).
std::map<size_t, uint8_t> read_zeros(std::span<const uint8_t> body, size_t code_start,
                                     uint32_t params);

}  // namespace interstice::engine::address_alignment
