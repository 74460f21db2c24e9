// RowLayout: how to find the columns of an encoded row of one table, and the
// order-preserving keys that the table's indexes sort by.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "abi/validate.h"

namespace interstice::runtime {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

class RowLayout {
 public:
  // `row_type` and `types` must outlive the layout (they live in the schema).
  RowLayout(const abi::TypeDef& row_type, const std::vector<abi::TypeDef>& types)
      : row_type_(row_type), resolver_(types) {}

  // Checks that `row` is a well-formed row and finds where each column's
  // encoding starts and ends. Returns "" on success, else what is wrong.
  std::string split(ByteView row, std::vector<ByteView>* columns) const;
  // Checks that `value` is a well-formed encoding of column `column`'s type.
  std::string check_column_value(uint32_t column, ByteView value) const;

  const abi::Type& column_type(uint32_t column) const { return row_type_.fields[column].type; }
  const std::string& column_name(uint32_t column) const { return row_type_.fields[column].name; }
  size_t column_count() const { return row_type_.fields.size(); }
  const abi::TypeDef& row_type() const { return row_type_; }
  const abi::TypeResolver& resolver() const { return resolver_; }

 private:
  const abi::TypeDef& row_type_;
  abi::TypeResolver resolver_;
};

// The bytes of a key column's canonical encoding rewritten so that comparing
// keys byte by byte orders them as values: integers big-endian (signed ones
// with the sign bit flipped), bool as one byte, strings and bytes without
// their length prefix. Only key types (check_schema) are accepted.
std::string order_key(ByteView encoded, const abi::Type& type);

}  // namespace interstice::runtime
