// Typed Rust bindings for a module, generated from its schema (`interstice
// generate --lang rust`): its types as #[interstice_type] Rust types, its
// reducers and queries as typed calls (Local: on this node through
// ctx.call and ctx.query; Remote: on a remote node through ctx.call_node
// and ctx.query_node), and its tables' event names. The file is a Rust
// module (`mod hello_bindings;`) that compiles against interstice-sdk.
#pragma once

#include <string>

#include "abi/schema.h"
#include "base/result.h"

namespace interstice::node {

// The module's text, or why the schema cannot be expressed in Rust. The
// schema is untrusted (it comes from a module's wasm): every name must be an
// identifier of at most 255 characters (a Rust keyword becomes a raw
// identifier; `self`, `Self`, `super`, `crate` and `_` are refused), named
// types must be defined, type expressions nest at most 64 deep, and the work
// is proportional to the schema's size.
base::Result<std::string> generate_rust_bindings(const abi::ModuleSchema& schema);

}  // namespace interstice::node
