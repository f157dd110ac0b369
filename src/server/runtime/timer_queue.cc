#include "runtime/timer_queue.h"

#include <pthread.h>

#include <utility>

namespace lro::server::internal {

TimerQueue::TimerQueue(std::shared_ptr<Clock> clock)
    : clock_(clock ? std::move(clock) : SystemClock()), thread_([this] {
        pthread_setname_np(pthread_self(), "lrod-timers");
        Loop();
      }) {}

TimerQueue::~TimerQueue() { Stop(); }

TimerQueue::Id TimerQueue::At(Time when, std::function<void()> callback) {
  MutexLock lock(mutex_);
  const Id id = next_id_++;
  if (stopping_) return id;
  const bool earliest = timers_.empty() || when < timers_.begin()->first.first;
  timers_.emplace(std::pair{when, id}, std::move(callback));
  deadlines_.emplace(id, when);
  if (earliest) wake_.notify_one();
  return id;
}

TimerQueue::Id TimerQueue::After(std::chrono::milliseconds delay, std::function<void()> callback) {
  return At(clock_->Now() + delay, std::move(callback));
}

bool TimerQueue::Cancel(Id id) {
  MutexLock lock(mutex_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  timers_.erase(std::pair{it->second, id});
  deadlines_.erase(it);
  return true;
}

bool TimerQueue::RunNow(Id id) {
  MutexLock lock(mutex_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  auto node = timers_.extract(std::pair{it->second, id});
  const Time now = clock_->Now();
  node.key() = std::pair{now, id};
  timers_.insert(std::move(node));
  it->second = now;
  wake_.notify_one();
  return true;
}

void TimerQueue::Stop() {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    timers_.clear();
    deadlines_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::Recheck() {
  MutexLock lock(mutex_);
  wake_.notify_one();
}

std::size_t TimerQueue::size() const {
  MutexLock lock(mutex_);
  return timers_.size();
}

void TimerQueue::Loop() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    if (timers_.empty()) {
      lock.Wait(wake_);
      continue;
    }
    const Time next = timers_.begin()->first.first;
    if (const Time now = clock_->Now(); now < next) {
      lock.WaitFor(wake_, next - now);
      continue;
    }
    {
      auto node = timers_.extract(timers_.begin());
      deadlines_.erase(node.key().second);
      lock.Unlock();
      node.mapped()();
    }  // the callback's captures are released outside the lock
    lock.Lock();
  }
}

}  // namespace lro::server::internal
