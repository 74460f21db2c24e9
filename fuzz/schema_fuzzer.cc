// libFuzzer target: a module's schema as the node gets it from the module's
// wasm (abi/schema.h), then check_schema (abi/schema_check.h). A decoded
// schema must encode back to its bytes; checking it must finish, whatever it
// holds, and every problem found is a sentence.
#include "abi/schema_check.h"
#include "fuzz/fuzz_support.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  std::string why;
  auto schema = abi::from_bytes<abi::ModuleSchema>(bytes, &why);
  if (!schema) {
    if (why.empty()) fuzz::finding("a refused schema has no reason");
    return 0;
  }
  if (abi::to_bytes(*schema) != fuzz::to_vector(bytes))
    fuzz::finding("a decoded schema encodes differently");
  for (const std::string& problem : abi::check_schema(*schema))
    if (problem.empty()) fuzz::finding("check_schema reported an empty problem");
  return 0;
}
