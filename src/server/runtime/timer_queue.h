// Deadlines without a thread each: inline budgets, ContinueAfter, debounced progress.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>
#include <utility>

#include "lro/clock.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

// One thread runs each callback at (or soon after) its deadline, on the clock's monotonic time.
// Callbacks must be short: hand real work to the executor. The thread waits in real time for
// the time left on the clock; after moving a fake clock, call Recheck.
class TimerQueue {
 public:
  using Id = std::uint64_t;  // never 0
  using Time = MonotonicTime;

  // Null clock: the system clock.
  explicit TimerQueue(std::shared_ptr<Clock> clock = nullptr);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  TimerQueue(TimerQueue&&) = delete;
  TimerQueue& operator=(TimerQueue&&) = delete;

  Id At(Time when, std::function<void()> callback);
  Id After(std::chrono::milliseconds delay, std::function<void()> callback);
  // True when the timer was pending and will not run.
  bool Cancel(Id id);
  // Moves a pending timer to now. True when it was pending.
  bool RunNow(Id id);
  // Drops pending timers without running them and joins the thread. Idempotent.
  void Stop();
  [[nodiscard]] std::size_t size() const;
  // Runs what is due now on the clock (for a clock that was moved).
  void Recheck();
  [[nodiscard]] Time Now() const { return clock_->Now(); }

 private:
  void Loop() LRO_EXCLUDES(mutex_);

  const std::shared_ptr<Clock> clock_;
  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::map<std::pair<Time, Id>, std::function<void()>> timers_ LRO_GUARDED_BY(mutex_);
  std::unordered_map<Id, Time> deadlines_ LRO_GUARDED_BY(mutex_);
  Id next_id_ LRO_GUARDED_BY(mutex_) = 1;
  bool stopping_ LRO_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace lro::server::internal
