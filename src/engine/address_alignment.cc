#include "engine/address_alignment.h"

#include <algorithm>
#include <bit>
#include <set>

#include "engine/nan_canonicalization.h"
#include "engine/reaching_writes.h"
#include "engine/wasm_instructions.h"

namespace interstice::engine::address_alignment {

namespace {

// Passes over the body before read_zeros gives up (each pass that changes
// something lowers some local's count, so this is rarely reached).
constexpr int kMaxPasses = 8;

// Calls `visit(offset, opcode, immediates)` for each instruction of the body.
template <typename Visit>
void for_each_instruction(std::span<const uint8_t> body, size_t code_start, Visit&& visit) {
  wasm_bytes::Reader in(body);
  in.skip(code_start);
  while (!in.at_end()) {
    size_t at = in.position();
    uint8_t opcode = in.byte();
    wasm_bytes::Reader immediates = in;
    wasm_bytes::skip_instruction(opcode, in);
    visit(at, opcode, immediates);
  }
}

uint8_t capped(uint64_t zeros) {
  return static_cast<uint8_t>(std::min<uint64_t>(zeros, kMaxZeros));
}

}  // namespace

Known constant(int64_t value) {
  uint8_t zeros = value == 0 ? kMaxZeros : capped(std::countr_zero(static_cast<uint64_t>(value)));
  return {zeros, value};
}

int operand_count(uint8_t opcode) {
  switch (opcode) {
    case 0x6a:
    case 0x6b:
    case 0x6c:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:  // i32
    case 0x7c:
    case 0x7d:
    case 0x7e:
    case 0x83:
    case 0x84:
    case 0x85:
    case 0x86:  // i64
      return 2;
    case 0xa7:  // i32.wrap_i64
    case 0xac:  // i64.extend_i32_s
    case 0xad:  // i64.extend_i32_u
      return 1;
    case 0x1b:  // select
    case 0x1c:  // typed select (its types do not matter here)
      return 3;
    default:
      return 0;
  }
}

std::optional<Known> result(uint8_t opcode, std::span<const Known> operands) {
  if (operand_count(opcode) == 0 || operands.size() != static_cast<size_t>(operand_count(opcode)))
    return std::nullopt;
  const Known& a = operands[0];
  switch (opcode) {
    case 0xa7:
    case 0xac:
    case 0xad:
      return Known{a.zeros, {}};
    case 0x1b:  // select, typed or not: either value
    case 0x1c:
      return Known{std::min(a.zeros, operands[1].zeros), {}};
    default:
      break;
  }
  const Known& b = operands[1];
  switch (opcode) {
    case 0x6c:  // mul
    case 0x7e:
      return Known{capped(a.zeros + b.zeros), {}};
    case 0x71:  // and
    case 0x83:
      return Known{std::max(a.zeros, b.zeros), {}};
    case 0x74:    // shl: by the count modulo the width
    case 0x86: {  // (a value shifted by an unknown count keeps its own zeros)
      uint64_t mask = opcode == 0x74 ? 31 : 63;
      uint64_t count = b.constant ? static_cast<uint64_t>(*b.constant) & mask : 0;
      return Known{capped(a.zeros + count), {}};
    }
    default:  // add, sub, or, xor
      return Known{std::min(a.zeros, b.zeros), {}};
  }
}

std::map<size_t, uint8_t> read_zeros(std::span<const uint8_t> body, size_t code_start,
                                     uint32_t params) {
  // The reads of declared locals that some write sets, and the writes.
  std::map<size_t, uint32_t> reads;  // offset -> local
  std::map<size_t, uint8_t> writes;  // offset -> zeros of the value, from above
  std::set<uint32_t> written;
  for_each_instruction(body, code_start, [&](size_t at, uint8_t opcode, wasm_bytes::Reader in) {
    if (opcode < 0x20 || opcode > 0x22) return;
    uint32_t local = in.u32();
    if (opcode == 0x20) {
      if (local >= params) reads[at] = local;
    } else {
      writes[at] = kMaxZeros;
      written.insert(local);
    }
  });
  std::vector<size_t> searched;
  for (const auto& [at, local] : reads)
    if (written.count(local)) searched.push_back(at);
  std::optional<std::map<size_t, std::vector<size_t>>> reaching =
      reaching_writes::find(body, code_start, searched);
  if (!reaching) return {};

  // The greatest fixpoint: every write starts with all zeros known, and
  // passes lower them until nothing changes.
  auto zeros_of_read = [&](size_t at) -> uint8_t {
    auto read = reads.find(at);
    if (read == reads.end()) return 0;  // a parameter
    uint8_t zeros = kMaxZeros;          // a declared local's zero at the start
    if (auto seen = reaching->find(at); seen != reaching->end())
      for (size_t write : seen->second) zeros = std::min(zeros, writes.at(write));
    return zeros;
  };
  std::vector<Known> stack;
  auto pop = [&] {
    if (stack.empty()) return Known{};  // from before the last control instruction
    Known value = stack.back();
    stack.pop_back();
    return value;
  };
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    bool changed = false;
    stack.clear();
    auto step = [&](size_t at, uint8_t opcode, wasm_bytes::Reader immediates) {
      switch (opcode) {
        case 0x20:  // local.get
          stack.push_back({zeros_of_read(at), {}});
          return;
        case 0x21:    // local.set
        case 0x22: {  // local.tee
          Known value = pop();
          uint8_t& zeros = writes.at(at);
          if (value.zeros < zeros) {
            zeros = value.zeros;
            changed = true;
          }
          if (opcode == 0x22) stack.push_back({value.zeros, {}});
          return;
        }
        case 0x41:  // i32.const
          stack.push_back(constant(static_cast<int32_t>(immediates.signed_leb(32))));
          return;
        case 0x42:  // i64.const
          stack.push_back(constant(immediates.signed_leb(64)));
          return;
        default:
          break;
      }
      if (int count = operand_count(opcode); count > 0) {
        Known operands[3];
        for (int i = count - 1; i >= 0; --i) operands[i] = pop();
        stack.push_back(*result(opcode, std::span<const Known>(operands, count)));
        return;
      }
      uint32_t op = opcode == 0xfc || opcode == 0xfd ? immediates.u32() : 0;
      if (std::optional<nan_canonicalization::StackEffect> effect =
              nan_canonicalization::stack_effect(opcode, op)) {
        for (int i = 0; i < effect->pops; ++i) pop();
        for (int i = 0; i < effect->pushes; ++i) stack.push_back({});
      } else {
        stack.clear();  // control, calls, the unmodelled: values after it are unknown
      }
    };
    for_each_instruction(body, code_start, step);
    if (!changed) {
      std::map<size_t, uint8_t> known;
      for (const auto& [at, local] : reads)
        if (uint8_t zeros = zeros_of_read(at); zeros > 0) known[at] = zeros;
      return known;
    }
  }
  return {};  // still lowering after kMaxPasses: nothing is known
}

}  // namespace interstice::engine::address_alignment
