// Requests held until an operation's committed state changes (lrod's `Prefer: wait`, RFC 7240).
// A held request is an entry here and a deadline on one shared timer thread: never a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "runtime/snapshot.h"
#include "runtime/timer_queue.h"

namespace lro::server::internal {

class StateWatchers {
 public:
  using Id = std::uint64_t;  // never 0
  // `changed`: the operation's new committed state; null when the wait timed out or the
  // watchers stopped.
  using Callback = std::function<void(std::shared_ptr<const Snapshot> changed)>;

  StateWatchers() = default;
  // Stop()s.
  ~StateWatchers();
  StateWatchers(const StateWatchers&) = delete;
  StateWatchers& operator=(const StateWatchers&) = delete;

  // Calls `callback` exactly once, from another thread or from a call below: with the state of
  // the first commit of operation `operation_id` after this call (see Notify), with the state
  // given to Wake, or with null once `timeout` has passed or Stop was called. After Stop it is
  // called with null at once.
  Id Watch(const std::string& operation_id, std::chrono::milliseconds timeout, Callback callback);
  // Completes waiter `id` with `snapshot` now, if it is still waiting.
  void Wake(Id id, std::shared_ptr<const Snapshot> snapshot);
  // After each commit of an operation's state (called by the runtime on its writer thread):
  // completes that operation's waiters. Cheap when nobody waits.
  void Notify(const std::shared_ptr<const Snapshot>& snapshot);
  // Completes every waiter with null and refuses new ones. Idempotent.
  void Stop();
  // Requests waiting now.
  [[nodiscard]] std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    std::string operation_id;
    Callback callback;
    TimerQueue::Id timer = 0;
  };
  // Removes waiter `id`; an empty callback when it is no longer waiting. REQUIRES: mutex_ held.
  Callback TakeLocked(Id id, TimerQueue::Id* timer);

  mutable std::mutex mutex_;
  std::unordered_map<Id, Waiter> waiters_;                 // GUARDED_BY(mutex_)
  std::unordered_multimap<std::string, Id> by_operation_;  // GUARDED_BY(mutex_)
  Id next_id_ = 1;                                         // GUARDED_BY(mutex_)
  bool stopped_ = false;                                   // GUARDED_BY(mutex_)
  std::atomic<std::size_t> count_{0};
  TimerQueue timers_;
};

}  // namespace lro::server::internal
