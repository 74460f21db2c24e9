// Typed C++ bindings for a module, generated from its schema (`interstice
// bindings`): its types as reflected C++ types, its reducers as typed calls
// (on this node through ctx.call, on a remote node through ctx.call_node),
// and its tables' event names. The header compiles against the SDK.
#pragma once

#include <string>

#include "abi/schema.h"
#include "base/result.h"

namespace interstice::node {

// The header's text, or why the schema cannot be expressed in C++ (say, an
// enum whose variants carry payloads that are not named types). The schema
// is untrusted (it comes from a module's wasm): every name must be a C++
// identifier, named types may nest at most 64 deep, and the work is
// proportional to the schema's size.
base::Result<std::string> generate_bindings(const abi::ModuleSchema& schema);

}  // namespace interstice::node
