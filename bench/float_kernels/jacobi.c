/* Linear algebra: Jacobi iterations, a matrix-vector product per row with a
 * division by the diagonal (the solver loop of physics and layout code). */
#include "kernel.h"

const char bench_name[] = "jacobi";

enum { kSize = 256, kIterationsPerRep = 300 };

static double matrix[kSize][kSize];
static double rhs[kSize], x[kSize], next[kSize];

KERNEL_EXPORT uint32_t bench_run(uint32_t reps) {
  uint32_t checksum = 0;
  for (int i = 0; i < kSize; i++) {
    double row_sum = 0.0;
    for (int j = 0; j < kSize; j++) {
      matrix[i][j] = (double)((i * 17 + j * 5) % 23) / 23.0;
      row_sum += matrix[i][j];
    }
    matrix[i][i] = row_sum + 1.0 + (double)(i % 7);
    rhs[i] = (double)(i % 13) - 6.0;
  }
  for (uint32_t r = 0; r < reps; r++) {
    for (int i = 0; i < kSize; i++) x[i] = 0.0;
    rhs[r % kSize] += 1.0;
    for (int it = 0; it < kIterationsPerRep; it++) {
      for (int i = 0; i < kSize; i++) {
        double sum = rhs[i];
        for (int j = 0; j < kSize; j++) sum -= matrix[i][j] * x[j];
        sum += matrix[i][i] * x[i];
        next[i] = sum / matrix[i][i];
      }
      for (int i = 0; i < kSize; i++) x[i] = next[i];
    }
    for (int i = 0; i < kSize; i += 31) checksum = fold_double(checksum, x[i]);
  }
  return checksum;
}
