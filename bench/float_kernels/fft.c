/* Signal processing: an in-place radix-2 complex FFT of 1024 f64 points,
 * forward and back, many times. Twiddles come from a rotation recurrence
 * (no libm), so native and wasm compute the very same table. */
#include "kernel.h"

const char bench_name[] = "fft";

enum { kLog2 = 10, kPoints = 1 << kLog2, kRoundsPerRep = 400 };

static double re[kPoints], im[kPoints];
static double twiddle_re[kPoints / 2], twiddle_im[kPoints / 2];

static void make_twiddles(void) {
  /* cos and sin of 2*pi/kPoints by their series, then rotation. */
  double angle = 6.283185307179586 / kPoints, c = 1.0, s = 0.0, term = 1.0;
  for (int k = 1; k < 20; k++) {
    term *= angle / k;
    if (k % 4 == 1) s += term;
    if (k % 4 == 2) c -= term;
    if (k % 4 == 3) s -= term;
    if (k % 4 == 0) c += term;
  }
  double wr = 1.0, wi = 0.0;
  for (int k = 0; k < kPoints / 2; k++) {
    twiddle_re[k] = wr;
    twiddle_im[k] = wi;
    double next = wr * c - wi * s;
    wi = wr * s + wi * c;
    wr = next;
  }
}

static void fft(int inverse) {
  for (int i = 1, j = 0; i < kPoints; i++) {
    int bit = kPoints >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  double sign = inverse ? 1.0 : -1.0;
  for (int half = 1, stride = kPoints / 2; half < kPoints; half <<= 1, stride >>= 1) {
    for (int start = 0; start < kPoints; start += 2 * half) {
      for (int k = 0; k < half; k++) {
        double wr = twiddle_re[k * stride], wi = sign * twiddle_im[k * stride];
        int a = start + k, b = a + half;
        double tr = re[b] * wr - im[b] * wi;
        double ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
  if (inverse) {
    for (int i = 0; i < kPoints; i++) {
      re[i] /= kPoints;
      im[i] /= kPoints;
    }
  }
}

KERNEL_EXPORT uint32_t bench_run(uint32_t reps) {
  uint32_t checksum = 0;
  make_twiddles();
  for (uint32_t r = 0; r < reps; r++) {
    for (int i = 0; i < kPoints; i++) {
      re[i] = (double)((i * 7 + (int)r) % 31) - 15.0;
      im[i] = (double)((i * 3) % 17) * 0.25;
    }
    for (int round = 0; round < kRoundsPerRep; round++) {
      fft(0);
      re[round % kPoints] += 0.5; /* make the rounds differ */
      fft(1);
    }
    checksum = fold_double(checksum, re[r % kPoints]);
    checksum = fold_double(checksum, im[(r * 5) % kPoints]);
  }
  return checksum;
}
