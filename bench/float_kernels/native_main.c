/* main() for the native build of a float kernel: kernel [reps] prints
 * "RESULT bench=NAME reps=N checksum=C ms=T", T timing bench_run alone. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel.h"

int main(int argc, char** argv) {
  uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 1;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  uint32_t checksum = bench_run(reps);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
  printf("RESULT bench=%s reps=%u checksum=%u ms=%.3f\n", bench_name, reps, checksum, ms);
  return 0;
}
