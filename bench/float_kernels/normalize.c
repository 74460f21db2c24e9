/* Vector normalisation: an array of f32 3-vectors scaled to unit length, then
 * nudged, again and again (the inner loop of lighting and steering code). */
#include "kernel.h"

const char bench_name[] = "normalize";

enum { kVectors = 4096, kPassesPerRep = 400 };

struct Vec3 {
  float x, y, z;
};

static struct Vec3 vectors[kVectors];

KERNEL_EXPORT uint32_t bench_run(uint32_t reps) {
  uint32_t checksum = 0;
  for (uint32_t r = 0; r < reps; r++) {
    for (int i = 0; i < kVectors; i++) {
      vectors[i].x = (float)((i * 37) % 101) - 50.0f;
      vectors[i].y = (float)((i * 11) % 53) - 26.0f;
      vectors[i].z = (float)((i * 7) % 29) + 0.5f;
    }
    float total = 0.0f;
    for (int pass = 0; pass < kPassesPerRep; pass++) {
      float nudge = 0.001f * (float)(pass + 1);
      for (int i = 0; i < kVectors; i++) {
        struct Vec3* v = &vectors[i];
        float length = kernel_sqrtf(v->x * v->x + v->y * v->y + v->z * v->z);
        float inverse = 1.0f / length;
        v->x = v->x * inverse + nudge;
        v->y = v->y * inverse - nudge;
        v->z = v->z * inverse + 0.5f * nudge;
      }
      total += vectors[pass % kVectors].x;
    }
    checksum = fold_double(checksum, total);
    checksum = fold_double(checksum, vectors[r % kVectors].y);
  }
  return checksum;
}
