// A Clock that lets the progress display see when the next poll is due: it wraps the system
// clock and remembers the instant the poller is sleeping until.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "lro/clock.h"

namespace lro::cli {

class ObservingClock final : public Clock {
 public:
  explicit ObservingClock(std::shared_ptr<Clock> inner = SystemClock());

  MonotonicTime Now() override;
  std::chrono::system_clock::time_point WallNow() override;
  bool SleepUntil(MonotonicTime until, const CancellationToken& cancel) override;

  // The instant a SleepUntil in progress wakes up at; nullopt when nobody sleeps (a request is
  // in flight, or nothing runs). Thread-safe.
  [[nodiscard]] std::optional<MonotonicTime> SleepingUntil() const;

 private:
  std::shared_ptr<Clock> inner_;
  // MonotonicTime::duration ticks since the epoch; kNotSleeping when nobody sleeps.
  static constexpr MonotonicTime::rep kNotSleeping = 0;
  std::atomic<MonotonicTime::rep> sleeping_until_{kNotSleeping};
};

}  // namespace lro::cli
