// Fires callbacks at deadlines, from one background thread shared by the process. Used to end
// a blocking wait at its deadline even while a request is in flight. Internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace lro::internal {

class DeadlineWatchdog {
 public:
  // Runs `fire` on the watchdog thread at `at` (steady clock) unless Disarm(id) came first.
  // `fire` must be quick and must not call Arm or Disarm.
  static std::uint64_t Arm(std::chrono::steady_clock::time_point at, std::function<void()> fire);
  // Returns once `fire` of `id` cannot run any more (it has run, or never will).
  static void Disarm(std::uint64_t id);
};

// Arms on construction, disarms on destruction.
class ScopedDeadline {
 public:
  ScopedDeadline(std::chrono::steady_clock::time_point at, std::function<void()> fire)
      : id_(DeadlineWatchdog::Arm(at, std::move(fire))) {}
  ~ScopedDeadline() { DeadlineWatchdog::Disarm(id_); }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;
  ScopedDeadline(ScopedDeadline&&) = delete;
  ScopedDeadline& operator=(ScopedDeadline&&) = delete;

 private:
  std::uint64_t id_;
};

}  // namespace lro::internal
