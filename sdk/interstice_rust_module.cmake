# interstice_add_rust_modules(WORKSPACE dir MODULES name... [PREFIX prefix])
# Builds the Interstice modules of a Cargo workspace written with the Rust
# SDK (docs/sdk-rust.md) for wasm32, with Debian's Rust toolchain
# (rustc-web, cargo-web, rust-web-src; scripts/setup installs them):
# /usr/bin/cargo with RUSTC=/usr/bin/rustc, RUSTC_BOOTSTRAP=1 and
# -Zbuild-std, since that toolchain ships no prebuilt wasm32 std. The
# workspace's Cargo.lock is used as committed (--locked). Cargo's registry
# (std's own dependencies too) and the target directory live in the cache
# (INTERSTICE_CACHE, default ~/.cache/interstice), outside the work tree:
# std's dependencies are fetched once per machine, and the target directory
# is one per checkout (keyed by its path: cargo names a workspace's
# artifacts by their path within it, so two checkouts sharing one target
# directory would take each other's builds), shared by its build
# directories, so std compiles once per checkout. Output:
# ${INTERSTICE_WASM_DIR}/PREFIXname.wasm; target: rust_modules. Cargo
# decides what to rebuild, so the target runs it every time (a no-op takes
# well under a second).
find_program(INTERSTICE_CARGO NAMES cargo PATHS /usr/bin NO_DEFAULT_PATH)
find_program(INTERSTICE_RUSTC NAMES rustc PATHS /usr/bin NO_DEFAULT_PATH)

function(interstice_add_rust_modules)
  cmake_parse_arguments(ARG "" "WORKSPACE;PREFIX" "MODULES" ${ARGN})
  if(NOT INTERSTICE_CARGO OR NOT INTERSTICE_RUSTC)
    message(FATAL_ERROR "Rust modules need /usr/bin/cargo and /usr/bin/rustc "
                        "(Debian's cargo-web and rustc-web): run scripts/setup")
  endif()
  if(DEFINED ENV{INTERSTICE_CACHE})
    set(cache "$ENV{INTERSTICE_CACHE}")
  else()
    set(cache "$ENV{HOME}/.cache/interstice")
  endif()
  get_filename_component(workspace "${ARG_WORKSPACE}" ABSOLUTE)
  string(MD5 checkout "${workspace}")
  string(SUBSTRING "${checkout}" 0 16 checkout)
  set(target_dir "${cache}/rust-target/${checkout}")
  set(built "${target_dir}/wasm32-unknown-unknown/release")
  set(copies)
  foreach(module IN LISTS ARG_MODULES)
    list(APPEND copies COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${built}/${module}.wasm"
         "${INTERSTICE_WASM_DIR}/${ARG_PREFIX}${module}.wasm")
  endforeach()
  add_custom_target(rust_modules ALL
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${INTERSTICE_WASM_DIR}"
    COMMAND "${CMAKE_COMMAND}" -E env "CARGO_HOME=${cache}/cargo-web"
            "CARGO_TARGET_DIR=${target_dir}" "RUSTC=${INTERSTICE_RUSTC}" RUSTC_BOOTSTRAP=1
            "RUSTFLAGS=-C target-feature=+simd128"
            "${INTERSTICE_CARGO}" build --quiet --release --locked
            -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
            --manifest-path "${workspace}/Cargo.toml"
    ${copies}
    WORKING_DIRECTORY "${workspace}"
    COMMENT "Building the Rust modules (cargo)"
    USES_TERMINAL VERBATIM)
endfunction()
