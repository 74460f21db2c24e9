// libFuzzer target: `interstice generate` (C++ and TypeScript) on a hostile
// module. The first byte picks the path: the rest is either an encoded
// schema, given to generate_bindings and generate_ts_bindings directly
// (fast), or the same bytes placed in a minimal wasm module that exports
// them as its schema, read back through Runtime::read_schema as the command
// does (the whole path from wasm). Generated code may only contain names
// that are identifiers.
#include <cstring>

#include "abi/host_calls.h"
#include "engine/wasm_bytes.h"
#include "fuzz/fuzz_support.h"
#include "node/bindings.h"
#include "node/bindings_rust.h"
#include "node/bindings_ts.h"
#include "runtime/runtime.h"

using namespace interstice;

namespace {

void section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  engine::wasm_bytes::write_section(out, id, body);
}

void name(std::vector<uint8_t>& out, std::string_view text) {
  engine::wasm_bytes::write_unsigned_leb(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

// A module whose schema export returns the address of [u32 length][schema].
std::vector<uint8_t> module_exporting(std::span<const uint8_t> schema) {
  std::vector<uint8_t> out{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  section(out, 1,
          {0x03, 0x60, 0x00, 0x01, 0x7f,                // () -> i32
           0x60, 0x01, 0x7f, 0x01, 0x7f,                // (i32) -> i32
           0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f});  // (i32, i32, i32) -> i32
  section(out, 3, {0x03, 0x00, 0x01, 0x02});
  uint64_t pages = (16 + 4 + schema.size()) / 65536 + 1;
  std::vector<uint8_t> memory{0x01, 0x00};
  engine::wasm_bytes::write_unsigned_leb(memory, pages);
  section(out, 5, memory);
  std::vector<uint8_t> exports{0x04};
  name(exports, abi::exports::kSchema), exports.insert(exports.end(), {0x00, 0x00});
  name(exports, abi::exports::kAlloc), exports.insert(exports.end(), {0x00, 0x01});
  name(exports, abi::exports::kReducer), exports.insert(exports.end(), {0x00, 0x02});
  name(exports, "memory"), exports.insert(exports.end(), {0x02, 0x00});
  section(out, 7, exports);
  section(out, 10,
          {0x03, 0x04, 0x00, 0x41, 0x10, 0x0b,  // i32.const 16
           0x04, 0x00, 0x41, 0x00, 0x0b,        // i32.const 0
           0x04, 0x00, 0x41, 0x00, 0x0b});
  std::vector<uint8_t> segment{0x01, 0x00, 0x41, 0x10, 0x0b};  // memory 0 at i32.const 16
  std::vector<uint8_t> payload(4);
  uint32_t length = static_cast<uint32_t>(schema.size());
  std::memcpy(payload.data(), &length, 4);
  payload.insert(payload.end(), schema.begin(), schema.end());
  engine::wasm_bytes::write_unsigned_leb(segment, payload.size());
  segment.insert(segment.end(), payload.begin(), payload.end());
  section(out, 11, segment);
  return out;
}

runtime::Runtime& shared_runtime() {
  static std::unique_ptr<runtime::Runtime> runtime = [] {
    auto r = runtime::Runtime::create(runtime::RuntimeOptions{});
    if (!r) fuzz::finding("no runtime", r.error().message);
    return std::move(r).value();
  }();
  return *runtime;
}

void check_header(const base::Result<std::string>& header) {
  if (header && header->find("namespace ") == std::string::npos)
    fuzz::finding("a header without its namespace");
}

void check_rust(const base::Result<std::string>& rust) {
  if (rust && rust->find("pub struct Local<'a>") == std::string::npos)
    fuzz::finding("Rust bindings without Local");
}

void check_ts(const base::Result<std::string>& ts) {
  if (ts && ts->find("export function bind(") == std::string::npos)
    fuzz::finding("TypeScript bindings without bind()");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  bool from_wasm = in.byte() & 1;
  std::span<const uint8_t> schema_bytes = in.rest();
  if (!from_wasm) {
    auto schema = abi::from_bytes<abi::ModuleSchema>(schema_bytes);
    if (schema) {
      check_header(node::generate_bindings(*schema));
      check_ts(node::generate_ts_bindings(*schema));
      check_rust(node::generate_rust_bindings(*schema));
    }
    return 0;
  }
  std::vector<uint8_t> wasm = module_exporting(schema_bytes);
  auto schema = shared_runtime().read_schema(wasm, "fuzz.wasm");
  if (schema) {
    check_header(node::generate_bindings(*schema));
    check_ts(node::generate_ts_bindings(*schema));
    check_rust(node::generate_rust_bindings(*schema));
  }
  return 0;
}
