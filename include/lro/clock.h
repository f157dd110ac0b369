// Time, injectable: the library reads the time and sleeps only through a Clock, so tests run
// without sleeping (see lro/testing/fake_clock.h).
#pragma once

#include <chrono>
#include <memory>

#include "lro/cancellation.h"

namespace lro {

using MonotonicTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = default;
  Clock& operator=(const Clock&) = default;
  Clock(Clock&&) = default;
  Clock& operator=(Clock&&) = default;
  virtual ~Clock() = default;
  // Monotonic time, for every delay and deadline.
  virtual MonotonicTime Now() = 0;
  // Wall time, only to read HTTP-date headers.
  virtual std::chrono::system_clock::time_point WallNow() = 0;
  // Blocks until `until`, or until `cancel` fires. Returns false when cancelled.
  virtual bool SleepUntil(MonotonicTime until, const CancellationToken& cancel) = 0;
};

// The real clocks; SleepUntil wakes at once on cancellation.
std::shared_ptr<Clock> SystemClock();

}  // namespace lro
