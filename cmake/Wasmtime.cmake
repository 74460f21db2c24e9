# Imports wasmtime's C API as the target `wasmtime::wasmtime`.
# scripts/build-wasmtime builds it with cargo (deps/wasmtime) into a cache
# outside the work tree, keyed by the lockfile, and prints where it is; a
# cached build makes this step instant.
execute_process(
  COMMAND "${CMAKE_SOURCE_DIR}/scripts/build-wasmtime"
  OUTPUT_VARIABLE WASMTIME_PREFIX
  OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE WASMTIME_RESULT)
if(NOT WASMTIME_RESULT EQUAL 0)
  message(FATAL_ERROR "building wasmtime failed (scripts/build-wasmtime); run scripts/setup first")
endif()
message(STATUS "wasmtime C API: ${WASMTIME_PREFIX}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${CMAKE_SOURCE_DIR}/deps/wasmtime/Cargo.toml" "${CMAKE_SOURCE_DIR}/deps/wasmtime/Cargo.lock"
  "${CMAKE_SOURCE_DIR}/deps/wasmtime/build.rs" "${CMAKE_SOURCE_DIR}/deps/wasmtime/src/lib.rs")

add_library(wasmtime::wasmtime STATIC IMPORTED GLOBAL)
set_target_properties(wasmtime::wasmtime PROPERTIES
  IMPORTED_LOCATION "${WASMTIME_PREFIX}/lib/libinterstice_wasmtime.a"
  INTERFACE_INCLUDE_DIRECTORIES "${WASMTIME_PREFIX}/include"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
