// libFuzzer target: ABI types and values (abi/serialize.h, abi/validate.h,
// abi/type_match.h). The first byte picks the type: one of a few fixed
// types (a recursive struct, an enum with payloads, nested vectors of unit,
// ...) or one decoded from the input itself ([u32 length][Type and its
// TypeDefs]). The rest is validated as a value of that type; a decoded type
// must also encode back to its bytes and match itself structurally.
#include <tuple>

#include "abi/serialize.h"
#include "abi/type_match.h"
#include "abi/validate.h"
#include "fuzz/fuzz_support.h"

using namespace interstice;
using abi::Type;
using abi::TypeKind;

namespace {

const std::vector<abi::TypeDef>& fixed_defs() {
  static const std::vector<abi::TypeDef> defs{
      {"Node",
       abi::TypeDefKind::Struct,
       {{"value", abi::primitive(TypeKind::U32)},
        {"next", abi::optional_of(abi::named("Node"))},
        {"children", abi::vector_of(abi::named("Node"))}}},
      {"Shape",
       abi::TypeDefKind::Enum,
       {{"None", abi::unit()},
        {"Circle", abi::primitive(TypeKind::F64)},
        {"Path",
         abi::vector_of(Type{
             TypeKind::Tuple, {abi::primitive(TypeKind::I32), abi::primitive(TypeKind::I32)}, {}})},
        {"Label", abi::primitive(TypeKind::String)},
        {"Nested", abi::named("Shape")}}},
      {"Empty", abi::TypeDefKind::Struct, {}},
  };
  return defs;
}

// Fixed types plus L0 (empty) .. L30, each Ln+1 two Ln: values of nothing
// with 2^31 parts, which only the validation's work budget stops.
std::vector<abi::TypeDef> all_fixed_defs() {
  std::vector<abi::TypeDef> defs = fixed_defs();
  defs.push_back({"L0", abi::TypeDefKind::Struct, {}});
  for (int i = 1; i <= 30; ++i) {
    Type below = abi::named("L" + std::to_string(i - 1));
    defs.push_back(
        {"L" + std::to_string(i), abi::TypeDefKind::Struct, {{"a", below}, {"b", below}}});
  }
  return defs;
}

std::vector<Type> fixed_types() {
  return {abi::named("Node"),
          abi::named("Shape"),
          abi::vector_of(abi::vector_of(abi::unit())),
          abi::vector_of(abi::named("Empty")),
          Type{TypeKind::Tuple,
               {abi::primitive(TypeKind::String), abi::primitive(TypeKind::Bytes),
                abi::primitive(TypeKind::Bool), abi::optional_of(abi::primitive(TypeKind::U64))},
               {}},
          abi::vector_of(abi::named("L30"))};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  static const std::vector<Type> types = fixed_types();
  uint8_t pick = in.byte();
  Type type;
  static const std::vector<abi::TypeDef> fixed = all_fixed_defs();
  std::vector<abi::TypeDef> defs = fixed;
  if (pick < types.size()) {
    type = types[pick];
  } else {
    abi::Reader r(in.take(4));
    auto type_bytes = in.take(r.length());
    std::string why;
    auto decoded = abi::from_bytes<std::tuple<Type, std::vector<abi::TypeDef>>>(type_bytes, &why);
    if (!decoded) {
      if (why.empty()) fuzz::finding("a refused type has no reason");
      return 0;
    }
    if (abi::to_bytes(*decoded) != fuzz::to_vector(type_bytes))
      fuzz::finding("a decoded type encodes differently");
    std::tie(type, defs) = std::move(*decoded);
    (void)abi::to_string(type);
  }
  abi::TypeResolver resolver(defs);
  if (std::string why = abi::type_mismatch(type, resolver, type, resolver);
      !why.empty() && why.find("deeper than") == std::string::npos &&
      why.find("is not defined") == std::string::npos &&
      why.find("too complex to compare") == std::string::npos)
    fuzz::finding("a type does not match itself", why);
  (void)abi::validate(in.rest(), type, resolver);
  return 0;
}
