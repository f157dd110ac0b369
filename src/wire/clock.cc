#include "lro/clock.h"

#include <condition_variable>
#include <mutex>

namespace lro {
namespace {

class RealClock final : public Clock {
 public:
  MonotonicTime Now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point WallNow() override {
    return std::chrono::system_clock::now();
  }
  bool SleepUntil(MonotonicTime until, const CancellationToken& cancel) override {
    struct Waker {
      std::mutex mutex;
      std::condition_variable cv;
      bool woken = false;
    };
    auto waker = std::make_shared<Waker>();
    auto registration = cancel.OnCancel([waker] {
      std::lock_guard lock(waker->mutex);
      waker->woken = true;
      waker->cv.notify_all();
    });
    std::unique_lock lock(waker->mutex);
    waker->cv.wait_until(lock, until, [&] { return waker->woken; });
    return !waker->woken;
  }
};

}  // namespace

std::shared_ptr<Clock> SystemClock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
  return clock;
}

}  // namespace lro
