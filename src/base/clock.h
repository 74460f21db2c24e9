// Clock: the wall-clock time a node gives its transactions, behind an
// interface (as Env is for files) so that tests can inject it. Reducers see
// it only through the transaction's recorded timestamp, so replay never
// reads it.
#pragma once

#include <cstdint>

namespace interstice::base {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_micros() = 0;  // microseconds since the Unix epoch

  // The system's real-time clock.
  static Clock& system();
};

}  // namespace interstice::base
