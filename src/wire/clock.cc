#include "lro/clock.h"

#include <condition_variable>

#include "wire/thread_safety.h"

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
      Mutex mutex;
      std::condition_variable cv;
      bool woken LRO_GUARDED_BY(mutex) = false;
    };
    auto waker = std::make_shared<Waker>();
    auto registration = cancel.OnCancel([waker] {
      MutexLock lock(waker->mutex);
      waker->woken = true;
      waker->cv.notify_all();
    });
    MutexLock lock(waker->mutex);
    lock.WaitUntil(waker->cv, until, [&] {
      waker->mutex.AssertHeld();
      return waker->woken;
    });
    return !waker->woken;
  }
};

}  // namespace

std::shared_ptr<Clock> SystemClock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
  return clock;
}

}  // namespace lro
