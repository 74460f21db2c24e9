#include "engine/fuel_metering.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "engine/wasm_bytes.h"

namespace interstice::engine {

using wasm_bytes::Reader;
using wasm_bytes::WasmDecodeError;

namespace {

enum SectionId : uint8_t {
  kCustom = 0,
  kImport = 2,
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

// ---- Skipping the immediates of types and instructions ----

void skip_heap_type(Reader& in) {
  in.skip_signed_leb(33);
}

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

void skip_memarg(Reader& in) {
  uint32_t align = in.u32();
  if (align & 0x40) in.u32();  // memory index (multi-memory)
  in.unsigned_leb(64);         // offset (64 bits for memory64)
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
    skip_memarg(in);
  } else if (op == 12 || op == 13) {  // v128.const, i8x16.shuffle
    in.skip(16);
  } else if (op >= 21 && op <= 34) {  // extract_lane / replace_lane
    in.byte();
  } else if (op >= 84 && op <= 91) {  // load_lane / store_lane
    skip_memarg(in);
    in.byte();
  } else if (op > 0x113) {  // beyond relaxed SIMD
    throw WasmDecodeError(fmt::format("unsupported instruction 0xfd {}", op));
  }
}

// What the walker needs to know about an instruction beyond its immediates.
enum class Control { None, Block, Loop, End };

// Skips one instruction (opcode already read) and says what it does to the
// control stack. Throws on an opcode of a proposal the engine turns off.
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
    skip_memarg(in);
    return Control::None;
  }
  // unreachable, nop, else, return, drop, select, numeric ops, ref.is_null
  bool no_immediates = opcode <= 0x01 || opcode == 0x05 || opcode == 0x0f || opcode == 0x1a ||
                       opcode == 0x1b || (opcode >= 0x45 && opcode <= 0xc4) || opcode == 0xd1;
  if (!no_immediates)
    throw WasmDecodeError(fmt::format("unsupported instruction 0x{:02x}", opcode));
  return Control::None;
}

// ---- Instrumenting one function body ----

struct MeterPoint {
  size_t offset;  // in the body, where the charge is inserted
  uint64_t charge;
};

// global.get G; i64.const C; i64.sub; global.set G;
// global.get G; i64.const 0; i64.lt_s; if unreachable end
void write_charge(std::vector<uint8_t>& out, uint32_t global, uint64_t charge) {
  out.push_back(0x23);
  wasm_bytes::write_unsigned_leb(out, global);
  out.push_back(0x42);
  wasm_bytes::write_signed_leb(out, static_cast<int64_t>(charge));
  out.push_back(0x7d);
  out.push_back(0x24);
  wasm_bytes::write_unsigned_leb(out, global);
  out.push_back(0x23);
  wasm_bytes::write_unsigned_leb(out, global);
  out.insert(out.end(), {0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b});
}

// Finds where charges go (after the locals, and at the top of every loop
// body) and what each charges: the instructions of its region, where a
// region is the function or a loop minus the loops nested in it.
std::vector<MeterPoint> meter_points(std::span<const uint8_t> body) {
  Reader in(body);
  uint32_t groups = in.u32();
  for (uint32_t i = 0; i < groups; ++i) {
    in.u32();
    skip_value_type(in);
  }
  std::vector<MeterPoint> points{{in.position(), 0}};
  struct Frame {
    bool loop;
    size_t region;  // the region the code after this frame's `end` belongs to
  };
  std::vector<Frame> frames;
  size_t region = 0;
  for (;;) {
    uint8_t opcode = in.byte();
    points[region].charge++;
    Control control = skip_instruction(opcode, in);
    if (control == Control::Block) {
      frames.push_back({false, region});
    } else if (control == Control::Loop) {
      frames.push_back({true, region});
      region = points.size();
      points.push_back({in.position(), 0});
    } else if (control == Control::End) {
      if (frames.empty()) break;  // the function's own end
      region = frames.back().region;
      frames.pop_back();
    }
  }
  if (!in.at_end()) throw WasmDecodeError("code after the end of a function body");
  return points;
}

std::vector<uint8_t> metered_body(std::span<const uint8_t> body, uint32_t fuel_global) {
  std::vector<MeterPoint> points = meter_points(body);
  std::vector<uint8_t> out;
  out.reserve(body.size() + points.size() * 24);
  size_t copied = 0;
  for (const MeterPoint& point : points) {  // offsets are increasing
    out.insert(out.end(), body.begin() + copied, body.begin() + point.offset);
    copied = point.offset;
    write_charge(out, fuel_global, std::max<uint64_t>(point.charge, 1));
  }
  out.insert(out.end(), body.begin() + copied, body.end());
  return out;
}

std::vector<uint8_t> metered_code_section(std::span<const uint8_t> content, uint32_t fuel_global) {
  Reader in(content);
  uint32_t count = in.u32();
  std::vector<uint8_t> out;
  wasm_bytes::write_unsigned_leb(out, count);
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> body = in.take(in.u32());
    std::vector<uint8_t> metered = metered_body(body, fuel_global);
    wasm_bytes::write_unsigned_leb(out, metered.size());
    wasm_bytes::write_bytes(out, metered);
  }
  if (!in.at_end()) throw WasmDecodeError("trailing bytes in the code section");
  return out;
}

// ---- The module ----

uint32_t imported_globals(std::span<const uint8_t> content) {
  Reader in(content);
  uint32_t count = in.u32(), globals = 0;
  for (uint32_t i = 0; i < count; ++i) {
    in.skip(in.u32());  // module name
    in.skip(in.u32());  // field name
    switch (uint8_t kind = in.byte()) {
      case 0x00:  // function
        in.u32();
        break;
      case 0x01:  // table
        skip_value_type(in);
        skip_limits(in);
        break;
      case 0x02:  // memory
        skip_limits(in);
        break;
      case 0x03:  // global
        skip_value_type(in);
        in.byte();
        ++globals;
        break;
      case 0x04:  // tag
        in.byte();
        in.u32();
        break;
      default:
        throw WasmDecodeError(fmt::format("unknown import kind {}", kind));
    }
  }
  return globals;
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
    if (name == kFuelExport || name == kStartExport)
      throw WasmDecodeError(fmt::format("the export name '{}' is reserved for the engine", name));
    in.byte();
    in.u32();
  }
}

void write_section(std::vector<uint8_t>& out, uint8_t id, std::span<const uint8_t> content) {
  out.push_back(id);
  wasm_bytes::write_unsigned_leb(out, content.size());
  wasm_bytes::write_bytes(out, content);
}

std::vector<uint8_t> instrument(std::span<const uint8_t> wasm) {
  static constexpr uint8_t kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (wasm.size() < 8 || !std::equal(std::begin(kHeader), std::end(kHeader), wasm.begin()))
    throw WasmDecodeError("not a core WebAssembly module (version 1)");
  Reader in(wasm.subspan(8));
  std::vector<Section> sections;
  std::optional<std::span<const uint8_t>> globals, exports;
  std::optional<uint32_t> start;
  uint32_t fuel_global = 0;
  while (!in.at_end()) {
    uint8_t id = in.byte();
    std::span<const uint8_t> content = in.take(in.u32());
    sections.push_back({id, content});
    if (id == kImport) fuel_global += imported_globals(content);
    if (id == kGlobal) globals = content;
    if (id == kExport) exports = content;
    if (id == kStart) start = Reader(content).u32();
  }
  if (globals) fuel_global += Reader(*globals).u32();
  if (exports) check_export_names(*exports);

  // (global (mut i64) (i64.const 0)), exported with the start function.
  static constexpr uint8_t kFuelGlobal[] = {0x7e, 0x01, 0x42, 0x00, 0x0b};
  std::vector<uint8_t> new_exports;
  wasm_bytes::write_name(new_exports, kFuelExport);
  new_exports.push_back(0x03);
  wasm_bytes::write_unsigned_leb(new_exports, fuel_global);
  if (start) {
    wasm_bytes::write_name(new_exports, kStartExport);
    new_exports.push_back(0x00);
    wasm_bytes::write_unsigned_leb(new_exports, *start);
  }

  std::vector<uint8_t> out(std::begin(kHeader), std::end(kHeader));
  bool globals_written = false, exports_written = false;
  auto write_pending = [&](int before_rank) {
    if (!globals_written && before_rank > section_rank(kGlobal)) {
      write_section(out, kGlobal, extended_vector(globals, kFuelGlobal, 1));
      globals_written = true;
    }
    if (!exports_written && before_rank > section_rank(kExport)) {
      write_section(out, kExport, extended_vector(exports, new_exports, start ? 2 : 1));
      exports_written = true;
    }
  };
  for (const Section& section : sections) {
    if (section.id != kCustom) write_pending(section_rank(section.id));
    if (section.id == kGlobal || section.id == kExport || section.id == kStart) continue;
    if (section.id == kCode) {
      write_section(out, kCode, metered_code_section(section.content, fuel_global));
    } else {
      write_section(out, section.id, section.content);
    }
  }
  write_pending(100);
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> add_fuel_metering(std::span<const uint8_t> wasm) {
  try {
    return instrument(wasm);
  } catch (const WasmDecodeError& e) {
    return make_error(fmt::format("cannot add fuel metering: {}", e.what()));
  }
}

}  // namespace interstice::engine
