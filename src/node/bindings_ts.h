// Typed TypeScript bindings for a module, generated from its schema
// (`interstice generate --lang ts`), for the TypeScript client SDK
// (clients/typescript, @interstice/client): an interface or union type per
// named type, the schema's types as data (TYPES, which converts rows and
// arguments), a Reducers class with one typed method per reducer that
// clients may call, a Tables class with a typed TableHandle per table, and
// bind(client) returning both.
#pragma once

#include <string>

#include "abi/schema.h"
#include "base/result.h"

namespace interstice::node {

// The module's text, or why the schema cannot be written as TypeScript. The
// schema is untrusted (it comes from a module's wasm): every name must be an
// identifier ([A-Za-z_][A-Za-z0-9_]*, at most 255 characters), type and
// parameter names must not be reserved words (nor the names the bindings
// export), names must be unique where TypeScript needs them to be, named
// types may nest at most 64 deep, and the work is proportional to the
// schema's size.
base::Result<std::string> generate_ts_bindings(const abi::ModuleSchema& schema);

}  // namespace interstice::node
