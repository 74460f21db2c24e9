/* Physics: five bodies under gravity, integrated step by step. f64 fields of
 * structs in linear memory, + - * / and sqrt, short inner loops over the
 * bodies (the shape of a game's or a simulation's update). */
#include "kernel.h"

const char bench_name[] = "nbody";

enum { kBodies = 5, kStepsPerRep = 200000 };

struct Body {
  double x, y, z, vx, vy, vz, mass;
};

static struct Body bodies[kBodies];

static void reset(void) {
  for (int i = 0; i < kBodies; i++) {
    bodies[i].x = 1.5 * i - 3.0;
    bodies[i].y = 0.25 * (i * i) - 1.0;
    bodies[i].z = 0.1 * i;
    bodies[i].vx = 0.01 * (kBodies - i);
    bodies[i].vy = -0.02 * i;
    bodies[i].vz = 0.005 * (i % 2);
    bodies[i].mass = 1.0 + 0.5 * i;
  }
}

static void advance(int n, double dt) {
  for (int i = 0; i < n; i++) {
    struct Body* a = &bodies[i];
    for (int j = i + 1; j < n; j++) {
      struct Body* b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      double d2 = dx * dx + dy * dy + dz * dz + 0.01;
      double mag = dt / (d2 * kernel_sqrt(d2));
      a->vx -= dx * b->mass * mag;
      a->vy -= dy * b->mass * mag;
      a->vz -= dz * b->mass * mag;
      b->vx += dx * a->mass * mag;
      b->vy += dy * a->mass * mag;
      b->vz += dz * a->mass * mag;
    }
  }
  for (int i = 0; i < n; i++) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}

static double energy(int n) {
  double e = 0.0;
  for (int i = 0; i < n; i++) {
    struct Body* a = &bodies[i];
    e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
    for (int j = i + 1; j < n; j++) {
      struct Body* b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      e -= a->mass * b->mass / kernel_sqrt(dx * dx + dy * dy + dz * dz + 0.01);
    }
  }
  return e;
}

/* Opaque to the optimizer, so that the body count is not a constant. */
volatile int body_count = kBodies;

KERNEL_EXPORT uint32_t bench_run(uint32_t reps) {
  uint32_t checksum = 0;
  int n = body_count;
  for (uint32_t r = 0; r < reps; r++) {
    reset();
    for (int step = 0; step < kStepsPerRep; step++) advance(n, 0.001);
    checksum = fold_double(checksum, energy(n));
    checksum = fold_double(checksum, bodies[r % kBodies].x);
  }
  return checksum;
}
