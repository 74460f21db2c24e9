//! Re-exports wasmtime's C API so that cargo links it into one static
//! library (`libinterstice_wasmtime.a`) for the C++ host.
pub use wasmtime_c_api::*;
