#include "runtime/state_watchers.h"

#include <utility>
#include <vector>

namespace lro::server::internal {

StateWatchers::~StateWatchers() { Stop(); }

StateWatchers::Id StateWatchers::Watch(const std::string& operation_id,
                                       std::chrono::milliseconds timeout, Callback callback) {
  Id id = 0;
  Callback refused;  // when stopped: called below, outside the lock
  {
    MutexLock lock(mutex_);
    if (stopped_) {
      refused = std::move(callback);
    } else {
      id = next_id_++;
      waiters_.emplace(id, Waiter{operation_id, std::move(callback), 0});
      by_operation_.emplace(operation_id, id);
      count_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (id == 0) {
    refused(nullptr);
    return 0;
  }
  // The deadline is set after the waiter is visible, so a timer can never miss it; a waiter
  // completed meanwhile has its (then pending) timer cancelled here.
  const TimerQueue::Id timer = timers_.After(timeout, [this, id] { Wake(id, nullptr); });
  bool gone = false;
  {
    MutexLock lock(mutex_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) {
      gone = true;
    } else {
      it->second.timer = timer;
    }
  }
  if (gone) timers_.Cancel(timer);
  return id;
}

StateWatchers::Callback StateWatchers::TakeLocked(Id id, TimerQueue::Id* timer) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return nullptr;
  Callback callback = std::move(it->second.callback);
  *timer = it->second.timer;
  auto range = by_operation_.equal_range(it->second.operation_id);
  for (auto entry = range.first; entry != range.second; ++entry) {
    if (entry->second == id) {
      by_operation_.erase(entry);
      break;
    }
  }
  waiters_.erase(it);
  count_.fetch_sub(1, std::memory_order_relaxed);
  return callback;
}

void StateWatchers::Wake(Id id, std::shared_ptr<const Snapshot> snapshot) {
  Callback callback;
  TimerQueue::Id timer = 0;
  {
    MutexLock lock(mutex_);
    callback = TakeLocked(id, &timer);
  }
  if (!callback) return;
  if (timer != 0) timers_.Cancel(timer);
  callback(std::move(snapshot));
}

void StateWatchers::Notify(const std::string& principal,
                           const std::shared_ptr<const Snapshot>& snapshot) {
  if (!snapshot) return;
  if (subscriber_count_.load(std::memory_order_relaxed) != 0) {
    std::vector<std::shared_ptr<Subscriber>> listening;
    {
      MutexLock lock(mutex_);
      for (const auto& [id, subscriber] : subscribers_) {
        if (subscriber->principal == principal) listening.push_back(subscriber);
      }
    }
    for (const auto& subscriber : listening) subscriber->on_change(snapshot);
  }
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<std::pair<Callback, TimerQueue::Id>> woken;
  {
    MutexLock lock(mutex_);
    auto range = by_operation_.equal_range(snapshot->id);
    std::vector<Id> ids;
    for (auto it = range.first; it != range.second; ++it) ids.push_back(it->second);
    for (Id id : ids) {
      TimerQueue::Id timer = 0;
      if (Callback callback = TakeLocked(id, &timer)) {
        woken.emplace_back(std::move(callback), timer);
      }
    }
  }
  for (auto& [callback, timer] : woken) {
    if (timer != 0) timers_.Cancel(timer);
    callback(snapshot);
  }
}

StateWatchers::Id StateWatchers::Subscribe(
    const std::string& principal,
    std::function<void(const std::shared_ptr<const Snapshot>&)> on_change,
    std::function<void()> on_stop) {
  Id id = 0;
  bool schedule = false;
  std::function<void()> refused;  // when stopped: called below, outside the lock
  {
    MutexLock lock(mutex_);
    if (stopped_) {
      refused = std::move(on_stop);
    } else {
      id = next_id_++;
      subscribers_.emplace(id, std::make_shared<Subscriber>(Subscriber{
                                   principal, std::move(on_change), std::move(on_stop)}));
      subscriber_count_.store(subscribers_.size(), std::memory_order_relaxed);
      schedule = !heartbeat_scheduled_;
      heartbeat_scheduled_ = true;
    }
  }
  if (id == 0) {
    refused();
    return 0;
  }
  if (schedule) timers_.After(heartbeat_, [this] { Heartbeat(); });
  return id;
}

void StateWatchers::Heartbeat() {
  std::vector<std::shared_ptr<Subscriber>> listening;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, subscriber] : subscribers_) listening.push_back(subscriber);
    heartbeat_scheduled_ = !listening.empty() && !stopped_;
  }
  for (const auto& subscriber : listening) subscriber->on_change(nullptr);
  if (!listening.empty()) timers_.After(heartbeat_, [this] { Heartbeat(); });
}

void StateWatchers::Unsubscribe(Id id) {
  MutexLock lock(mutex_);
  subscribers_.erase(id);
  subscriber_count_.store(subscribers_.size(), std::memory_order_relaxed);
}

std::size_t StateWatchers::subscribers() const {
  return subscriber_count_.load(std::memory_order_relaxed);
}

void StateWatchers::Stop() {
  std::vector<Callback> callbacks;
  std::vector<std::shared_ptr<Subscriber>> stopped_subscribers;
  {
    MutexLock lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [id, subscriber] : subscribers_) stopped_subscribers.push_back(subscriber);
    subscribers_.clear();
    subscriber_count_.store(0, std::memory_order_relaxed);
    for (auto& [id, waiter] : waiters_) callbacks.push_back(std::move(waiter.callback));
    waiters_.clear();
    by_operation_.clear();
    count_.store(0, std::memory_order_relaxed);
  }
  timers_.Stop();
  for (auto& callback : callbacks) callback(nullptr);
  for (auto& subscriber : stopped_subscribers) subscriber->on_stop();
}

}  // namespace lro::server::internal
