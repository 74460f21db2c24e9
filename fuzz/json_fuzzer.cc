// libFuzzer target: the JSON a client sends to the local interface
// (node/json_codec.h): parsed with the depth bound, then converted to the
// canonical encoding of a type the first byte picks (integers of every
// width, floats, strings, bytes, vectors, tuples, optionals, a recursive
// struct, an enum with payloads). Bytes the conversion produces must
// validate, and turn back into JSON that converts to the same bytes.
#include "abi/validate.h"
#include "fuzz/fuzz_support.h"
#include "node/json_codec.h"

using namespace interstice;
using abi::Type;
using abi::TypeKind;

namespace {

const std::vector<abi::TypeDef> kDefs{
    {"Node",
     abi::TypeDefKind::Struct,
     {{"value", abi::primitive(TypeKind::I16)},
      {"next", abi::optional_of(abi::named("Node"))},
      {"children", abi::vector_of(abi::named("Node"))}}},
    {"Shape",
     abi::TypeDefKind::Enum,
     {{"None", abi::unit()},
      {"Circle", abi::primitive(TypeKind::F32)},
      {"Label", abi::primitive(TypeKind::String)},
      {"Nested", abi::named("Shape")}}},
};

std::vector<Type> types() {
  std::vector<Type> out;
  for (int k = 0; k <= static_cast<int>(TypeKind::Bytes); ++k)
    out.push_back(abi::primitive(static_cast<TypeKind>(k)));
  out.push_back(abi::named("Node"));
  out.push_back(abi::named("Shape"));
  out.push_back(abi::vector_of(abi::optional_of(abi::primitive(TypeKind::U64))));
  out.push_back(Type{TypeKind::Tuple,
                     {abi::primitive(TypeKind::String), abi::vector_of(abi::named("Shape")),
                      abi::primitive(TypeKind::F64)},
                     {}});
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  static const std::vector<Type> all = types();
  const Type& type = all[in.byte() % all.size()];
  auto rest = in.rest();
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  auto json = node::parse_client_json(text);
  if (!json) return 0;
  if (node::json_nesting_depth(text, node::kMaxJsonDepth) > node::kMaxJsonDepth)
    fuzz::finding("JSON deeper than the bound was parsed");
  abi::TypeResolver resolver(kDefs);
  auto bytes = node::json_to_bytes(*json, type, resolver);
  if (!bytes) return 0;
  if (std::string why = abi::validate(*bytes, type, resolver); !why.empty())
    fuzz::finding("converted JSON does not validate", why);
  auto back = node::bytes_to_json(*bytes, type, resolver);
  auto again = node::json_to_bytes(back, type, resolver);
  if (!again || *again != *bytes)
    fuzz::finding("JSON from bytes does not convert back to them", back.dump());
  return 0;
}
