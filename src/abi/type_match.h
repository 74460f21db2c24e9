// Structural type comparison across two schemas: whether a value encoded as
// type `a` of one module decodes as type `b` of another. Struct and enum
// names may differ; field names, field order and every field's type must
// match. Used where modules of different nodes exchange rows (remote
// subscriptions).
#pragma once

#include <string>

#include "abi/type.h"
#include "abi/validate.h"

namespace interstice::abi {

namespace detail {

// At most this many comparisons: types whose named parts share parts
// (a struct of two B, each of two C, ...) cannot make it exponential.
inline constexpr size_t kMaxTypeComparisons = 10'000;

inline std::string mismatch(const Type& a, const TypeResolver& ra, const Type& b,
                            const TypeResolver& rb, const std::string& where, int depth,
                            size_t& budget) {
  if (depth > kMaxDepth) return where + ": nesting deeper than 64";
  if (budget == 0) return where + ": too complex to compare";
  --budget;
  if (a.kind != b.kind || a.args.size() != b.args.size())
    return where + ": " + to_string(a) + " against " + to_string(b);
  for (size_t i = 0; i < a.args.size(); ++i)
    if (std::string why = mismatch(a.args[i], ra, b.args[i], rb, where, depth + 1, budget);
        !why.empty())
      return why;
  if (a.kind != TypeKind::Named) return {};
  const TypeDef* da = ra.find(a.name);
  const TypeDef* db = rb.find(b.name);
  if (!da || !db) return where + ": type " + (da ? b.name : a.name) + " is not defined";
  if (da->kind != db->kind || da->fields.size() != db->fields.size())
    return where + ": " + a.name + " has " + std::to_string(da->fields.size()) +
           (da->kind == TypeDefKind::Struct ? " fields, " : " variants, ") + b.name + " has " +
           std::to_string(db->fields.size());
  for (size_t i = 0; i < da->fields.size(); ++i) {
    const Field& fa = da->fields[i];
    const Field& fb = db->fields[i];
    std::string inner = where + "." + fa.name;
    if (fa.name != fb.name)
      return where + ": field " + std::to_string(i) + " of " + a.name + " is '" + fa.name +
             "' against '" + fb.name + "'";
    if (std::string why = mismatch(fa.type, ra, fb.type, rb, inner, depth + 1, budget);
        !why.empty())
      return why;
  }
  return {};
}

}  // namespace detail

// Empty when `a` (resolved by `ra`) and `b` (resolved by `rb`) have the same
// structure; otherwise where they first differ, e.g. "Greeting.text: string
// against u32".
inline std::string type_mismatch(const Type& a, const TypeResolver& ra, const Type& b,
                                 const TypeResolver& rb) {
  size_t budget = detail::kMaxTypeComparisons;
  return detail::mismatch(a, ra, b, rb, a.kind == TypeKind::Named ? a.name : to_string(a), 0,
                          budget);
}

}  // namespace interstice::abi
