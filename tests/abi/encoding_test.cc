// The canonical encoding: exact bytes, round trips, type descriptions, and
// rejection of every malformed input (truncations, bad tags, bad UTF-8).
#include <gtest/gtest.h>

#include "abi/serialize.h"
#include "abi/validate.h"

namespace interstice::abi {
namespace {

enum class Mood : uint32_t { Happy, Grumpy, Sleepy };
INTERSTICE_ENUM(Mood, Happy, Grumpy, Sleepy)

struct Custom {
  uint32_t val = 0;
  INTERSTICE_TYPE(Custom, val)
  bool operator==(const Custom&) const = default;
};

struct Greeting {
  uint64_t id = 0;
  std::string text;
  Custom custom;
  std::optional<Mood> mood;
  std::vector<int16_t> scores;
  std::tuple<bool, double> extra;
  Bytes blob;
  INTERSTICE_TYPE(Greeting, id, text, custom, mood, scores, extra, blob)
  bool operator==(const Greeting&) const = default;
};

Greeting sample() {
  return Greeting{7,       "Hello, Alice!", Custom{3},       Mood::Grumpy,
                  {-1, 2}, {true, 0.5},     Bytes{{0xff, 0}}};
}

TEST(Encoding, PrimitivesAreLittleEndianFixedWidth) {
  EXPECT_EQ(to_bytes<uint32_t>(0x01020304), (std::vector<uint8_t>{4, 3, 2, 1}));
  EXPECT_EQ(to_bytes<int16_t>(-2), (std::vector<uint8_t>{0xfe, 0xff}));
  EXPECT_EQ(to_bytes(true), (std::vector<uint8_t>{1}));
  EXPECT_EQ(to_bytes(std::string("hi")), (std::vector<uint8_t>{2, 0, 0, 0, 'h', 'i'}));
  EXPECT_EQ(to_bytes(std::optional<uint8_t>{}), (std::vector<uint8_t>{0}));
  EXPECT_EQ(to_bytes(std::optional<uint8_t>{9}), (std::vector<uint8_t>{1, 9}));
  EXPECT_EQ(to_bytes(std::vector<uint8_t>{5, 6}), (std::vector<uint8_t>{2, 0, 0, 0, 5, 6}));
  EXPECT_EQ(to_bytes(Mood::Sleepy), (std::vector<uint8_t>{2, 0, 0, 0}));
  EXPECT_EQ(to_bytes(1.0f), (std::vector<uint8_t>{0, 0, 0x80, 0x3f}));
}

TEST(Encoding, StructsAreFieldsInOrderWithoutPadding) {
  struct Pair {
    uint8_t a = 1;
    uint32_t b = 2;
    INTERSTICE_TYPE(Pair, a, b)
  };
  EXPECT_EQ(to_bytes(Pair{}), (std::vector<uint8_t>{1, 2, 0, 0, 0}));
}

TEST(Encoding, RoundTripsEverySupportedType) {
  Greeting g = sample();
  std::vector<uint8_t> bytes = to_bytes(g);
  auto back = from_bytes<Greeting>(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, g);
  EXPECT_EQ(to_bytes(*back), bytes);  // one value, one encoding
}

TEST(Encoding, EveryTruncationIsRejected) {
  std::vector<uint8_t> bytes = to_bytes(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::span<const uint8_t> prefix(bytes.data(), n);
    EXPECT_FALSE(from_bytes<Greeting>(prefix).has_value()) << "accepted a cut at " << n;
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(from_bytes<Greeting>(longer).has_value()) << "accepted a trailing byte";
}

TEST(Encoding, NonCanonicalBytesAreRejected) {
  EXPECT_FALSE(from_bytes<bool>(std::vector<uint8_t>{2}).has_value());
  EXPECT_FALSE(from_bytes<std::optional<uint8_t>>(std::vector<uint8_t>{2, 1}).has_value());
  EXPECT_FALSE(from_bytes<Mood>(std::vector<uint8_t>{3, 0, 0, 0}).has_value());
  // Overlong '/', a lone continuation byte, a surrogate, a truncated sequence.
  for (std::vector<uint8_t> bad :
       {std::vector<uint8_t>{0xc0, 0xaf}, std::vector<uint8_t>{0x80},
        std::vector<uint8_t>{0xed, 0xa0, 0x80}, std::vector<uint8_t>{0xe2, 0x82}}) {
    std::vector<uint8_t> encoded{static_cast<uint8_t>(bad.size()), 0, 0, 0};
    encoded.insert(encoded.end(), bad.begin(), bad.end());
    EXPECT_FALSE(from_bytes<std::string>(encoded).has_value());
  }
  EXPECT_TRUE(from_bytes<std::string>(to_bytes(std::string("grüß 👋"))).has_value());
}

TEST(Encoding, HugeLengthPrefixDoesNotAllocate) {
  std::vector<uint8_t> bytes{0xff, 0xff, 0xff, 0xff, 1};
  EXPECT_FALSE(from_bytes<std::vector<uint64_t>>(bytes).has_value());
  EXPECT_FALSE(from_bytes<std::string>(bytes).has_value());
}

TEST(TypeOf, DescribesTypesAndRegistersEachNamedTypeOnce) {
  TypeRegistry registry;
  Type t = type_of<std::vector<Greeting>>(registry);
  EXPECT_EQ(to_string(t), "vector<Greeting>");
  ASSERT_EQ(registry.defs.size(), 3u);  // Custom, Mood, then Greeting
  EXPECT_EQ(registry.defs[0].name, "Custom");
  EXPECT_EQ(registry.defs[1].name, "Mood");
  EXPECT_EQ(registry.defs[1].kind, TypeDefKind::Enum);
  EXPECT_EQ(registry.defs[1].fields.size(), 3u);
  const TypeDef& greeting = registry.defs[2];
  ASSERT_EQ(greeting.fields.size(), 7u);
  EXPECT_EQ(greeting.fields[0].name, "id");
  EXPECT_EQ(to_string(greeting.fields[0].type), "u64");
  EXPECT_EQ(to_string(greeting.fields[3].type), "optional<Mood>");
  EXPECT_EQ(to_string(greeting.fields[5].type), "(bool, f64)");
  (void)type_of<Greeting>(registry);
  EXPECT_EQ(registry.defs.size(), 3u);
}

TEST(Validate, AcceptsWhatTheEncoderWritesAndNamesWhatIsWrong) {
  TypeRegistry registry;
  Type t = type_of<Greeting>(registry);
  TypeResolver types(registry.defs);
  std::vector<uint8_t> bytes = to_bytes(sample());
  EXPECT_EQ(validate(bytes, t, types), "");
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(validate(std::span<const uint8_t>(bytes.data(), n), t, types), "") << n;
  bytes.push_back(1);
  EXPECT_EQ(validate(bytes, t, types), "1 trailing bytes after Greeting");

  Greeting bad_text = sample();
  bad_text.text = std::string("\xff", 1);
  EXPECT_EQ(validate(to_bytes(bad_text), t, types), "string is not valid UTF-8");
  std::vector<uint8_t> bad_enum = to_bytes(sample());
  // id(8) + text(4+13) + custom(4) + mood present(1) -> mood tag at 30.
  bad_enum[30] = 9;
  EXPECT_EQ(validate(bad_enum, t, types), "Mood has no variant 9");
}

struct Circle {
  double radius = 0;
  INTERSTICE_TYPE(Circle, radius)
  bool operator==(const Circle&) const = default;
};
struct Square {
  uint32_t side = 0;
  INTERSTICE_TYPE(Square, side)
  bool operator==(const Square&) const = default;
};
INTERSTICE_VARIANT(Shape, Circle, Square, Mood)

TEST(Variant, EncodesTheTagThenThePayload) {
  EXPECT_EQ(to_bytes(Shape{Square{5}}), (std::vector<uint8_t>{1, 0, 0, 0, 5, 0, 0, 0}));
  EXPECT_EQ(to_bytes(Shape{Mood::Sleepy}), (std::vector<uint8_t>{2, 0, 0, 0, 2, 0, 0, 0}));
  for (Shape shape : {Shape{Circle{1.5}}, Shape{Square{3}}, Shape{Mood::Happy}}) {
    auto back = from_bytes<Shape>(to_bytes(shape));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, shape);
  }
  EXPECT_FALSE(from_bytes<Shape>(std::vector<uint8_t>{3, 0, 0, 0}).has_value());

  TypeRegistry registry;
  Type t = type_of<std::vector<Shape>>(registry);
  const TypeDef& shape = registry.defs.back();
  EXPECT_EQ(shape.name, "Shape");
  EXPECT_EQ(shape.kind, TypeDefKind::Enum);
  ASSERT_EQ(shape.fields.size(), 3u);
  EXPECT_EQ(shape.fields[1].name, "Square");
  EXPECT_EQ(to_string(shape.fields[1].type), "Square");
  TypeResolver types(registry.defs);
  std::vector<Shape> shapes{Circle{2}, Square{1}};
  EXPECT_EQ(validate(to_bytes(shapes), t, types), "");
}

TEST(Validate, DeepNestingIsRefusedNotRecursedForever) {
  Type deep = primitive(TypeKind::U8);
  for (int i = 0; i < 100; ++i) deep = optional_of(deep);
  std::vector<uint8_t> bytes(101, 1);
  std::vector<TypeDef> none;
  EXPECT_EQ(validate(bytes, deep, TypeResolver(none)), "nesting deeper than 64");
}

}  // namespace
}  // namespace interstice::abi
