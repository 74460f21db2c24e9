// type_mismatch: rows of one module's type decode as another module's type
// exactly when the two have the same structure, whatever the type names.
#include <gtest/gtest.h>

#include "abi/type_match.h"

namespace interstice::abi {
namespace {

std::vector<TypeDef> greeting_types(std::string name, TypeKind text_kind,
                                    std::string text_field = "text") {
  return {TypeDef{std::move(name),
                  TypeDefKind::Struct,
                  {Field{"id", primitive(TypeKind::U64)},
                   Field{std::move(text_field), primitive(text_kind)},
                   Field{"tags", vector_of(named("Tag"))}}},
          TypeDef{"Tag", TypeDefKind::Enum, {Field{"red", unit()}, Field{"blue", unit()}}}};
}

TEST(TypeMatch, SameStructureMatchesWhateverTheName) {
  auto mine = greeting_types("Greeting", TypeKind::String);
  auto theirs = greeting_types("RemoteGreeting", TypeKind::String);
  EXPECT_EQ(type_mismatch(named("Greeting"), TypeResolver(mine), named("RemoteGreeting"),
                          TypeResolver(theirs)),
            "");
}

TEST(TypeMatch, AFieldOfAnotherTypeOrNameIsNamed) {
  auto mine = greeting_types("Greeting", TypeKind::String);
  auto wrong_kind = greeting_types("Greeting", TypeKind::U32);
  EXPECT_EQ(type_mismatch(named("Greeting"), TypeResolver(mine), named("Greeting"),
                          TypeResolver(wrong_kind)),
            "Greeting.text: string against u32");
  auto renamed = greeting_types("Greeting", TypeKind::String, "message");
  EXPECT_EQ(type_mismatch(named("Greeting"), TypeResolver(mine), named("Greeting"),
                          TypeResolver(renamed)),
            "Greeting: field 1 of Greeting is 'text' against 'message'");
}

TEST(TypeMatch, DifferentShapesAndMissingTypesAreRefused) {
  auto mine = greeting_types("Greeting", TypeKind::String);
  auto fewer = mine;
  fewer[1].fields.pop_back();
  EXPECT_EQ(
      type_mismatch(named("Greeting"), TypeResolver(mine), named("Greeting"), TypeResolver(fewer)),
      "Greeting.tags: Tag has 2 variants, Tag has 1");
  std::vector<TypeDef> none;
  EXPECT_EQ(
      type_mismatch(named("Greeting"), TypeResolver(mine), named("Greeting"), TypeResolver(none)),
      "Greeting: type Greeting is not defined");
  EXPECT_NE(type_mismatch(primitive(TypeKind::U32), TypeResolver(none), primitive(TypeKind::U64),
                          TypeResolver(none)),
            "");
}

}  // namespace
}  // namespace interstice::abi
