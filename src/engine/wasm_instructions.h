// Stepping over WebAssembly types and instructions in the binary format,
// for the module rewriter in instrumentation.cc. The input is a module that
// wasmtime has validated; reads are still bounds-checked and a malformed or
// unknown encoding throws WasmDecodeError.
#pragma once

#include <cstdint>

#include "engine/wasm_bytes.h"

namespace interstice::engine::wasm_bytes {

void skip_value_type(Reader& in);
void skip_limits(Reader& in);

// A load's or store's immediates: alignment flags (bit 6: a memory index
// follows), the memory index and the offset (64 bits for memory64).
struct Memarg {
  uint32_t memory = 0;
  uint64_t offset = 0;
};
Memarg read_memarg(Reader& in);

// What an instruction does to the control stack.
enum class Control { None, Block, Loop, End };

// Steps over the immediates of the instruction whose opcode was just read.
// Knows the instructions of the proposals the engine enables (MVP, sign
// extension, saturating conversions, bulk memory, reference types,
// multi-value, SIMD, relaxed SIMD, tail calls, multi-memory, memory64,
// function references, and the GC instructions wasmtime validates without
// GC types) and throws on any other.
Control skip_instruction(uint8_t opcode, Reader& in);

}  // namespace interstice::engine::wasm_bytes
