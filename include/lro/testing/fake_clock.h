// A clock for tests: time moves only when the test or a sleeper moves it.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "lro/clock.h"

namespace lro::testing {

// SleepUntil returns at once, having advanced the time to its deadline (or returns false at
// once if the token has fired). Records every sleep so tests can assert on delays.
// Thread-safe.
class FakeClock final : public Clock {
 public:
  // Wall time starts at 2024-01-01T00:00:00Z unless given.
  FakeClock();
  explicit FakeClock(std::chrono::system_clock::time_point wall_start);

  MonotonicTime Now() override;
  std::chrono::system_clock::time_point WallNow() override;
  bool SleepUntil(MonotonicTime until, const CancellationToken& cancel) override;

  void Advance(std::chrono::nanoseconds delta);
  // Durations of the sleeps so far, in order (a sleep to a past time records 0).
  std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  // Guards the members below. A plain std::mutex, outside clang's thread-safety analysis: a
  // public header, which cannot include the annotations of src/wire/thread_safety.h.
  mutable std::mutex mutex_;
  MonotonicTime now_;
  std::chrono::system_clock::time_point wall_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace lro::testing
