#include "base/clock.h"

#include <chrono>

namespace interstice::base {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t now_micros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Clock& Clock::system() {
  static SystemClock clock;
  return clock;
}

}  // namespace interstice::base
