// ScheduleAt: when a row of a scheduled table fires (docs/sdk.md,
// "Schedules"). A scheduled table names one column of this type and the
// reducer that receives its rows when they come due.
#pragma once

#include <cstdint>

#include "abi/reflect.h"

namespace interstice::abi {

struct ScheduleAt {
  int64_t at_us = 0;     // when it fires next: microseconds since the Unix epoch
  int64_t every_us = 0;  // 0: once (the row goes when it fires); > 0: its period

  INTERSTICE_TYPE(ScheduleAt, at_us, every_us)

  static ScheduleAt once(int64_t at_us) { return ScheduleAt{at_us, 0}; }
  static ScheduleAt every(int64_t first_us, int64_t period_us) {
    return ScheduleAt{first_us, period_us};
  }
};

// When a row due at `s.at_us` fires next if it fires at `now_us` (>= at_us):
// the first of its periods after `now_us` (the periods missed in between are
// skipped), or 0 for a one-shot.
inline int64_t next_firing(const ScheduleAt& s, int64_t now_us) {
  if (s.every_us <= 0) return 0;
  if (now_us < s.at_us) return s.at_us + s.every_us;
  // at + k * every > now for the smallest k >= 1 (no overflow: now - at >= 0).
  uint64_t periods =
      static_cast<uint64_t>(now_us - s.at_us) / static_cast<uint64_t>(s.every_us) + 1;
  uint64_t next = static_cast<uint64_t>(s.at_us) + periods * static_cast<uint64_t>(s.every_us);
  return next > static_cast<uint64_t>(INT64_MAX) ? 0 : static_cast<int64_t>(next);
}

}  // namespace interstice::abi
