#include "lro/testing/fake_clock.h"

namespace lro::testing {

FakeClock::FakeClock()
    : FakeClock(std::chrono::system_clock::time_point{std::chrono::seconds{1704067200}}) {}

FakeClock::FakeClock(std::chrono::system_clock::time_point wall_start)
    : now_(MonotonicTime{std::chrono::hours{1}}), wall_(wall_start) {}

MonotonicTime FakeClock::Now() {
  std::lock_guard lock(mutex_);
  return now_;
}

std::chrono::system_clock::time_point FakeClock::WallNow() {
  std::lock_guard lock(mutex_);
  return wall_;
}

bool FakeClock::SleepUntil(MonotonicTime until, const CancellationToken& cancel) {
  if (cancel.cancelled()) return false;
  std::lock_guard lock(mutex_);
  const auto delta = until > now_ ? until - now_ : std::chrono::nanoseconds{0};
  sleeps_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(delta));
  now_ += delta;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(delta);
  return true;
}

void FakeClock::Advance(std::chrono::nanoseconds delta) {
  std::lock_guard lock(mutex_);
  now_ += delta;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(delta);
}

std::vector<std::chrono::milliseconds> FakeClock::sleeps() const {
  std::lock_guard lock(mutex_);
  return sleeps_;
}

}  // namespace lro::testing
