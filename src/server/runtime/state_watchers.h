// Who hears of committed state changes: requests held until an operation's state changes
// (lrod's `Prefer: wait`, RFC 7240), and event streams of a caller's state changes (/ui). A
// held request is an entry here and a deadline on one shared timer thread: never a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/snapshot.h"
#include "runtime/timer_queue.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

class StateWatchers {
 public:
  using Id = std::uint64_t;  // never 0
  // `changed`: the operation's new committed state; null when the wait timed out or the
  // watchers stopped.
  using Callback = std::function<void(std::shared_ptr<const Snapshot> changed)>;

  // Subscribers get a heartbeat every `heartbeat` (see Subscribe).
  explicit StateWatchers(std::chrono::milliseconds heartbeat = std::chrono::seconds(15))
      : heartbeat_(heartbeat) {}
  // Stop()s.
  ~StateWatchers();
  StateWatchers(const StateWatchers&) = delete;
  StateWatchers& operator=(const StateWatchers&) = delete;
  StateWatchers(StateWatchers&&) = delete;
  StateWatchers& operator=(StateWatchers&&) = delete;

  // Calls `callback` exactly once, from another thread or from a call below: with the state of
  // the first commit of operation `operation_id` after this call (see Notify), with the state
  // given to Wake, or with null once `timeout` has passed or Stop was called. After Stop it is
  // called with null at once.
  Id Watch(const std::string& operation_id, std::chrono::milliseconds timeout, Callback callback);
  // Completes waiter `id` with `snapshot` now, if it is still waiting.
  void Wake(Id id, std::shared_ptr<const Snapshot> snapshot);
  // After each commit of an operation's state (called by the runtime on its writer thread):
  // completes that operation's waiters and tells the subscribers of its principal. Cheap when
  // nobody waits or listens.
  void Notify(const std::string& principal, const std::shared_ptr<const Snapshot>& snapshot);

  // Calls `on_change` with every state of `principal`'s operations committed from now on, on
  // the writer thread (it must be quick), and with null at every heartbeat (a chance to write
  // something, so that a reader that went away is noticed), until Unsubscribe; `on_stop` once
  // at Stop (at once after it). Returns the id for Unsubscribe.
  Id Subscribe(const std::string& principal,
               std::function<void(const std::shared_ptr<const Snapshot>&)> on_change,
               std::function<void()> on_stop);
  // Stops calling `on_change` (a call already under way may still finish). Idempotent.
  void Unsubscribe(Id id);
  [[nodiscard]] std::size_t subscribers() const;

  // Completes every waiter with null, stops every subscriber and refuses new ones. Idempotent.
  void Stop();
  // Requests waiting now.
  [[nodiscard]] std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    std::string operation_id;
    Callback callback;
    TimerQueue::Id timer = 0;
  };
  // Calls every subscriber's on_change(null), then schedules the next heartbeat while any is left.
  void Heartbeat();
  // Removes waiter `id`; an empty callback when it is no longer waiting.
  Callback TakeLocked(Id id, TimerQueue::Id* timer) LRO_REQUIRES(mutex_);

  struct Subscriber {
    std::string principal;
    std::function<void(const std::shared_ptr<const Snapshot>&)> on_change;
    std::function<void()> on_stop;
  };

  mutable Mutex mutex_;
  std::unordered_map<Id, std::shared_ptr<Subscriber>> subscribers_ LRO_GUARDED_BY(mutex_);
  std::atomic<std::size_t> subscriber_count_{0};
  const std::chrono::milliseconds heartbeat_;
  bool heartbeat_scheduled_ LRO_GUARDED_BY(mutex_) = false;
  std::unordered_map<Id, Waiter> waiters_ LRO_GUARDED_BY(mutex_);
  std::unordered_multimap<std::string, Id> by_operation_ LRO_GUARDED_BY(mutex_);
  Id next_id_ LRO_GUARDED_BY(mutex_) = 1;
  bool stopped_ LRO_GUARDED_BY(mutex_) = false;
  std::atomic<std::size_t> count_{0};
  TimerQueue timers_;
};

}  // namespace lro::server::internal
