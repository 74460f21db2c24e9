/* Audio: a cascade of biquad (IIR) filter sections over a signal, f64. Each
 * output depends on the previous ones, so nothing can be vectorized; the
 * section loop is short and its state lives in linear memory. */
#include "kernel.h"

const char bench_name[] = "iir";

enum { kSections = 4, kSamples = 1 << 16, kBlocksPerRep = 16 };

struct Biquad {
  double b0, b1, b2, a1, a2;
  double x1, x2, y1, y2;
};

static struct Biquad sections[kSections];
static double signal[kSamples];

volatile int section_count = kSections;

static void setup(void) {
  for (int s = 0; s < kSections; s++) {
    double k = 0.1 + 0.05 * s;
    double norm = 1.0 / (1.0 + k / 0.707 + k * k);
    sections[s] = (struct Biquad){.b0 = k * k * norm,
                                  .b1 = 2.0 * k * k * norm,
                                  .b2 = k * k * norm,
                                  .a1 = 2.0 * (k * k - 1.0) * norm,
                                  .a2 = (1.0 - k / 0.707 + k * k) * norm};
  }
  uint32_t noise = 12345;
  for (int i = 0; i < kSamples; i++) {
    noise = noise * 1103515245u + 12345u;
    signal[i] = (double)(noise >> 8) / 16777216.0 - 0.5 + ((i / 64) % 2 ? 0.25 : -0.25);
  }
}

KERNEL_EXPORT uint32_t bench_run(uint32_t reps) {
  uint32_t checksum = 0;
  int count = section_count;
  for (uint32_t r = 0; r < reps; r++) {
    setup();
    double energy = 0.0;
    for (int block = 0; block < kBlocksPerRep; block++) {
      for (int i = 0; i < kSamples; i++) {
        double x = signal[i];
        for (int s = 0; s < count; s++) {
          struct Biquad* f = &sections[s];
          double y = f->b0 * x + f->b1 * f->x1 + f->b2 * f->x2 - f->a1 * f->y1 - f->a2 * f->y2;
          f->x2 = f->x1;
          f->x1 = x;
          f->y2 = f->y1;
          f->y1 = y;
          x = y;
        }
        signal[i] = x;
        energy += x * x;
      }
    }
    checksum = fold_double(checksum, energy);
    checksum = fold_double(checksum, signal[r % kSamples]);
  }
  return checksum;
}
