# interstice_add_module(NAME SOURCES src... [FLAGS flags...])
# Builds an Interstice module written with the C++ SDK: wasm32-wasi, libc++,
# no exceptions, -O3 -msimd128, linked as a WASI reactor (its static
# constructors run once, in `_initialize`). Output:
# ${CMAKE_BINARY_DIR}/modules/NAME.wasm; target: wasm_NAME.
# -O3 rather than -O2: LLVM's unrolling saves Cranelift loop overhead (the
# engine's sha256 kernel: 1.27x -> 1.10x native; docs/engine.md).
# Compile and link are separate steps (see cmake/WasmModule.cmake).
# Outside the Interstice tree (a project from `interstice init`) it finds
# clang++-19 itself and writes to ${CMAKE_BINARY_DIR}/modules.
if(NOT WASM_CLANGXX)
  find_program(WASM_CLANGXX NAMES clang++-19 REQUIRED)
endif()
if(NOT INTERSTICE_WASM_DIR)
  set(INTERSTICE_WASM_DIR "${CMAKE_BINARY_DIR}/modules")
endif()
set(INTERSTICE_SDK_INCLUDE "${CMAKE_CURRENT_LIST_DIR}/include")
set(INTERSTICE_ABI_INCLUDE "${CMAKE_CURRENT_LIST_DIR}/../src")

function(interstice_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS" ${ARGN})
  set(objects)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(base "${src}" NAME)
    set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.${base}.o")
    add_custom_command(OUTPUT "${obj}"
      COMMAND "${WASM_CLANGXX}" --target=wasm32-wasi -std=c++20 -O3 -msimd128 -fno-exceptions
              -I "${INTERSTICE_SDK_INCLUDE}" -I "${INTERSTICE_ABI_INCLUDE}" ${ARG_FLAGS}
              -MD -MF "${obj}.d" -c "${abs}" -o "${obj}"
      DEPENDS "${abs}" DEPFILE "${obj}.d" VERBATIM)
    list(APPEND objects "${obj}")
  endforeach()
  set(out "${INTERSTICE_WASM_DIR}/${name}.wasm")
  add_custom_command(OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${INTERSTICE_WASM_DIR}"
    COMMAND "${WASM_CLANGXX}" --target=wasm32-wasi -mexec-model=reactor -Wl,--strip-debug
            -o "${out}" ${objects}
    DEPENDS ${objects} VERBATIM)
  add_custom_target(wasm_${name} ALL DEPENDS "${out}")
endfunction()
