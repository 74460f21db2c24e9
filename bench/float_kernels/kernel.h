/* The contract of the float kernels (the same as shared/bench-src's kernels):
 * each defines  uint32_t bench_run(uint32_t reps),  exported as "run" in the
 * wasm build; native_main.c times it in a native build. Kernels must give
 * bit-identical checksums natively and in wasm, so they use only + - * /
 * and sqrt (IEEE-exact everywhere) and no libm. */
#ifndef INTERSTICE_FLOAT_KERNEL_H
#define INTERSTICE_FLOAT_KERNEL_H
#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define KERNEL_EXPORT __attribute__((export_name("run")))
#else
#define KERNEL_EXPORT
#endif

uint32_t bench_run(uint32_t reps);
extern const char bench_name[];

/* Folds the bits of a double into a checksum. */
static inline uint32_t fold_double(uint32_t sum, double value) {
  union {
    double d;
    uint64_t u;
  } bits = {value};
  uint64_t mixed = bits.u * 0x9E3779B97F4A7C15ull;
  return (sum ^ (uint32_t)(mixed >> 32)) * 16777619u + (uint32_t)mixed;
}

static inline double kernel_sqrt(double x) {
  return __builtin_sqrt(x);
}
static inline float kernel_sqrtf(float x) {
  return __builtin_sqrtf(x);
}
#endif
