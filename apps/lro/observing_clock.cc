#include "observing_clock.h"

#include <utility>

namespace lro::cli {

ObservingClock::ObservingClock(std::shared_ptr<Clock> inner) : inner_(std::move(inner)) {}

MonotonicTime ObservingClock::Now() { return inner_->Now(); }

std::chrono::system_clock::time_point ObservingClock::WallNow() { return inner_->WallNow(); }

bool ObservingClock::SleepUntil(MonotonicTime until, const CancellationToken& cancel) {
  MonotonicTime::rep ticks = until.time_since_epoch().count();
  if (ticks == kNotSleeping) ticks = 1;
  sleeping_until_.store(ticks);
  const bool woke = inner_->SleepUntil(until, cancel);
  sleeping_until_.store(kNotSleeping);
  return woke;
}

std::optional<MonotonicTime> ObservingClock::SleepingUntil() const {
  const MonotonicTime::rep ticks = sleeping_until_.load();
  if (ticks == kNotSleeping) return std::nullopt;
  return MonotonicTime(MonotonicTime::duration(ticks));
}

}  // namespace lro::cli
