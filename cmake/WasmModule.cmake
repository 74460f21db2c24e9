# interstice_add_wasm_module(NAME SOURCES src... [FLAGS flags...])
# Builds a freestanding wasm32 module (no libc, no WASI; -O3 as the SDK; with -msimd128, which
# wasmtime compiles to SSE/AVX and which roughly halves float-heavy kernels)
# with clang-19 into
# ${CMAKE_BINARY_DIR}/modules/NAME.wasm and adds the target wasm_NAME.
# Compile and link are separate steps: with an -O flag at link time clang's
# wasm driver would run wasm-opt when binaryen happens to be installed.
find_program(WASM_CLANG NAMES clang-19 REQUIRED)
find_program(WASM_CLANGXX NAMES clang++-19 REQUIRED)
set(INTERSTICE_WASM_DIR "${CMAKE_BINARY_DIR}/modules")

function(interstice_add_wasm_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS" ${ARGN})
  set(objects)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(base "${src}" NAME)
    set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.${base}.o")
    if(abs MATCHES "\\.c$")
      set(compiler "${WASM_CLANG}")
    else()
      set(compiler "${WASM_CLANGXX}" -std=c++20 -fno-exceptions -fno-rtti)
    endif()
    add_custom_command(OUTPUT "${obj}"
      COMMAND ${compiler} --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin ${ARG_FLAGS}
              -MD -MF "${obj}.d" -c "${abs}" -o "${obj}"
      DEPENDS "${abs}" DEPFILE "${obj}.d" VERBATIM)
    list(APPEND objects "${obj}")
  endforeach()
  set(out "${INTERSTICE_WASM_DIR}/${name}.wasm")
  add_custom_command(OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${INTERSTICE_WASM_DIR}"
    COMMAND "${WASM_CLANG}" --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-dynamic
            -Wl,--strip-debug -o "${out}" ${objects}
    DEPENDS ${objects} VERBATIM)
  add_custom_target(wasm_${name} ALL DEPENDS "${out}")
endfunction()
