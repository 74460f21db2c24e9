// The demo module for `interstice wasm run`: small freestanding exports that
// show results, fuel accounting and traps.
//   interstice wasm run build/modules/demo.wasm --invoke fib 30
#include <stdint.h>

#define EXPORT(name) extern "C" __attribute__((export_name(name)))

static uint64_t fib_rec(uint32_t n) {
  return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2);
}

// The n-th Fibonacci number, computed the slow recursive way on purpose.
EXPORT("fib") uint64_t fib(uint32_t n) {
  return fib_rec(n);
}

EXPORT("add") int32_t add(int32_t a, int32_t b) {
  return a + b;
}

// Integer division: traps with "integer divide by zero" when b == 0.
EXPORT("divide") int32_t divide(int32_t a, int32_t b) {
  return a / b;
}

// Never returns: stopped by the fuel budget.
EXPORT("spin") void spin() {
  volatile uint32_t x = 0;
  for (;;) x = x + 1;
}
