//! wasmtime-c-api-impl's build script installs the C API headers (with a
//! `conf.h` generated for the enabled features) and exports their directory
//! as `DEP_WASMTIME_C_API_INCLUDE`. We write that path to the file named by
//! `INTERSTICE_INCLUDE_DIR_FILE`, so `scripts/build-wasmtime` can copy the
//! headers next to the library in the cache.
fn main() {
    println!("cargo:rerun-if-env-changed=INTERSTICE_INCLUDE_DIR_FILE");
    let include = std::env::var("DEP_WASMTIME_C_API_INCLUDE")
        .expect("wasmtime-c-api-impl did not export its include directory");
    if let Ok(path) = std::env::var("INTERSTICE_INCLUDE_DIR_FILE") {
        std::fs::write(path, include).expect("cannot write the include directory file");
    }
}
