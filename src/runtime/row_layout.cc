#include "runtime/row_layout.h"

namespace interstice::runtime {

std::string RowLayout::split(ByteView row, std::vector<ByteView>* columns) const {
  columns->clear();
  abi::Reader reader(row);
  for (const abi::Field& field : row_type_.fields) {
    size_t start = reader.position();
    std::string where;
    if (!abi::detail::validate_value(reader, field.type, resolver_, 1, &where) || !reader.ok())
      return "column " + field.name + ": " +
             (where.empty() ? "truncated or malformed " + abi::to_string(field.type) : where);
    columns->push_back(row.subspan(start, reader.position() - start));
  }
  if (!reader.at_end())
    return std::to_string(reader.remaining()) + " trailing bytes after the last column";
  return {};
}

std::string RowLayout::check_column_value(uint32_t column, ByteView value) const {
  return abi::validate(value, column_type(column), resolver_);
}

namespace {

template <typename Unsigned>
void append_big_endian(std::string& out, Unsigned value) {
  for (int shift = (sizeof(Unsigned) - 1) * 8; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xff));
}

template <typename Unsigned>
Unsigned load_little_endian(ByteView bytes) {
  Unsigned value = 0;
  for (size_t i = 0; i < sizeof(Unsigned) && i < bytes.size(); ++i)
    value |= static_cast<Unsigned>(bytes[i]) << (8 * i);
  return value;
}

template <typename Unsigned>
std::string integer_key(ByteView bytes, bool is_signed) {
  Unsigned value = load_little_endian<Unsigned>(bytes);
  if (is_signed) value ^= Unsigned(1) << (sizeof(Unsigned) * 8 - 1);
  std::string out;
  append_big_endian(out, value);
  return out;
}

}  // namespace

std::string order_key(ByteView encoded, const abi::Type& type) {
  using abi::TypeKind;
  switch (type.kind) {
    case TypeKind::Bool:
    case TypeKind::U8:
      return integer_key<uint8_t>(encoded, false);
    case TypeKind::I8:
      return integer_key<uint8_t>(encoded, true);
    case TypeKind::U16:
      return integer_key<uint16_t>(encoded, false);
    case TypeKind::I16:
      return integer_key<uint16_t>(encoded, true);
    case TypeKind::U32:
      return integer_key<uint32_t>(encoded, false);
    case TypeKind::I32:
      return integer_key<uint32_t>(encoded, true);
    case TypeKind::U64:
      return integer_key<uint64_t>(encoded, false);
    case TypeKind::I64:
      return integer_key<uint64_t>(encoded, true);
    case TypeKind::String:
    case TypeKind::Bytes:
      return encoded.size() < 4 ? std::string() : std::string(encoded.begin() + 4, encoded.end());
    default:
      return std::string(encoded.begin(), encoded.end());
  }
}

}  // namespace interstice::runtime
