#include "engine/wasm_instructions.h"

#include <fmt/format.h>

namespace interstice::engine::wasm_bytes {

namespace {

void skip_heap_type(Reader& in) {
  in.skip_signed_leb(33);
}

}  // namespace

void skip_value_type(Reader& in) {
  uint8_t type = in.byte();
  if (type == 0x63 || type == 0x64) skip_heap_type(in);  // (ref null? ht)
}

void skip_limits(Reader& in) {
  uint8_t flags = in.byte();
  in.unsigned_leb(64);                    // min
  if (flags & 0x01) in.unsigned_leb(64);  // max
  if (flags & 0x08) in.u32();             // custom page size (log2)
}

Memarg read_memarg(Reader& in) {
  Memarg memarg;
  uint32_t flags = in.u32();
  if (flags & 0x40) memarg.memory = in.u32();  // multi-memory
  memarg.offset = in.unsigned_leb(64);
  return memarg;
}

namespace {

// A block type is 0x40, a one-byte value type, a reference type with a heap
// type, or a type index as a signed 33-bit LEB.
void skip_block_type(Reader& in) {
  uint8_t first = in.peek();
  if (first == 0x63 || first == 0x64) {
    skip_value_type(in);
  } else if (first == 0x40 || (first >= 0x6f && first <= 0x7f)) {
    in.byte();
  } else {
    in.skip_signed_leb(33);
  }
}

// GC instructions: wasmtime validates the ones that need no GC types (and
// any of them in unreachable code) even with GC compiled out.
void skip_prefixed_fb(Reader& in) {
  uint32_t op = in.u32();
  switch (op) {
    case 0x00:
    case 0x01:
    case 0x06:
    case 0x07:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x0e:
    case 0x10:  // one type index
      in.u32();
      return;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:  // struct.get/set: type, field
    case 0x08:
    case 0x09:
    case 0x0a:  // array.new_fixed/data/elem
    case 0x11:
    case 0x12:
    case 0x13:  // array.copy/init_data/init_elem
      in.u32();
      in.u32();
      return;
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x17:  // ref.test, ref.cast
      in.skip_signed_leb(33);
      return;
    case 0x18:
    case 0x19:  // br_on_cast(_fail): flags, label, two heap types
      in.byte();
      in.u32();
      in.skip_signed_leb(33);
      in.skip_signed_leb(33);
      return;
    case 0x0f:
    case 0x1a:
    case 0x1b:
    case 0x1c:
    case 0x1d:
    case 0x1e:
      return;
    default:
      throw WasmDecodeError(fmt::format("unsupported instruction 0xfb {}", op));
  }
}

void skip_prefixed_fc(Reader& in) {
  uint32_t op = in.u32();
  switch (op) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:  // trunc_sat
      return;
    case 8:   // memory.init data memory
    case 10:  // memory.copy memory memory
    case 12:  // table.init elem table
    case 14:  // table.copy table table
      in.u32();
      in.u32();
      return;
    case 9:
    case 11:
    case 13:
    case 15:
    case 16:
    case 17:  // one index
      in.u32();
      return;
    default:
      throw WasmDecodeError(fmt::format("unsupported instruction 0xfc {}", op));
  }
}

void skip_prefixed_fd(Reader& in) {
  uint32_t op = in.u32();
  if (op <= 11 || op == 92 || op == 93) {  // loads, stores, load_zero
    read_memarg(in);
  } else if (op == 12 || op == 13) {  // v128.const, i8x16.shuffle
    in.skip(16);
  } else if (op >= 21 && op <= 34) {  // extract_lane / replace_lane
    in.byte();
  } else if (op >= 84 && op <= 91) {  // load_lane / store_lane
    read_memarg(in);
    in.byte();
  } else if (op > 0x113) {  // beyond relaxed SIMD
    throw WasmDecodeError(fmt::format("unsupported instruction 0xfd {}", op));
  }
}

}  // namespace

Control skip_instruction(uint8_t opcode, Reader& in) {
  switch (opcode) {
    case 0x02:  // block
    case 0x04:  // if
      skip_block_type(in);
      return Control::Block;
    case 0x03:  // loop
      skip_block_type(in);
      return Control::Loop;
    case 0x0b:
      return Control::End;
    case 0x0c:
    case 0x0d:  // br, br_if
    case 0x10:
    case 0x12:  // call, return_call
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:  // local/global get/set/tee
    case 0x25:
    case 0x26:  // table.get/set
    case 0x3f:
    case 0x40:  // memory.size/grow
    case 0xd2:  // ref.func
    case 0xd5:  // br_on_null
    case 0xd6:  // br_on_non_null
    case 0x14:  // call_ref
    case 0x15:  // return_call_ref
      in.u32();
      return Control::None;
    case 0x0e: {  // br_table
      uint32_t count = in.u32();
      for (uint64_t i = 0; i <= count; ++i) in.u32();
      return Control::None;
    }
    case 0x11:
    case 0x13:  // call_indirect, return_call_indirect: type, table
      in.u32();
      in.u32();
      return Control::None;
    case 0x1c: {  // select t*
      uint32_t count = in.u32();
      for (uint32_t i = 0; i < count; ++i) skip_value_type(in);
      return Control::None;
    }
    case 0x41:
      in.skip_signed_leb(32);
      return Control::None;
    case 0x42:
      in.skip_signed_leb(64);
      return Control::None;
    case 0x43:
      in.skip(4);
      return Control::None;
    case 0x44:
      in.skip(8);
      return Control::None;
    case 0xd0:  // ref.null
      skip_heap_type(in);
      return Control::None;
    case 0xfb:
      skip_prefixed_fb(in);
      return Control::None;
    case 0xfc:
      skip_prefixed_fc(in);
      return Control::None;
    case 0xfd:
      skip_prefixed_fd(in);
      return Control::None;
    default:
      break;
  }
  if (opcode >= 0x28 && opcode <= 0x3e) {  // loads and stores
    read_memarg(in);
    return Control::None;
  }
  // unreachable, nop, else, return, drop, select, numeric ops, ref.is_null
  bool no_immediates = opcode <= 0x01 || opcode == 0x05 || opcode == 0x0f || opcode == 0x1a ||
                       opcode == 0x1b || (opcode >= 0x45 && opcode <= 0xc4) || opcode == 0xd1 ||
                       opcode == 0xd3 || opcode == 0xd4;  // ref.eq, ref.as_non_null
  if (!no_immediates)
    throw WasmDecodeError(fmt::format("unsupported instruction 0x{:02x}", opcode));
  return Control::None;
}

}  // namespace interstice::engine::wasm_bytes
