// The SplitMix64 finalizer: a fast, well-mixed 64-bit hash of a 64-bit value.
// The runtime derives every recorded random value from it (transaction seeds,
// random streams, remote call ids), so its output is part of the replay
// contract: do not change it.
#pragma once

#include <cstdint>

namespace interstice::runtime {

constexpr uint64_t splitmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;

}  // namespace interstice::runtime
