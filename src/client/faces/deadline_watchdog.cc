#include "client/faces/deadline_watchdog.h"

#include <condition_variable>
#include <map>
#include <thread>

#include "wire/thread_safety.h"

namespace lro::internal {
namespace {

class Watchdog {
 public:
  static Watchdog& Instance() {
    // Leaked on purpose: a detached thread may still be waiting at exit.
    static Watchdog* instance = new Watchdog();
    return *instance;
  }

  std::uint64_t Arm(std::chrono::steady_clock::time_point at, std::function<void()> fire) {
    MutexLock lock(mutex_);
    const std::uint64_t id = next_id_++;
    pending_.emplace(id, Entry{at, std::move(fire)});
    if (!thread_started_) {
      thread_started_ = true;
      std::thread([this] { Run(); }).detach();
    }
    wake_.notify_one();
    return id;
  }

  void Disarm(std::uint64_t id) {
    MutexLock lock(mutex_);
    pending_.erase(id);
    lock.Wait(fired_, [&] {
      mutex_.AssertHeld();
      return firing_ != id;
    });
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point at;
    std::function<void()> fire;
  };

  void Run() {
    MutexLock lock(mutex_);
    while (true) {
      auto next = pending_.end();
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (next == pending_.end() || it->second.at < next->second.at) next = it;
      }
      if (next == pending_.end()) {
        lock.Wait(wake_);
        continue;
      }
      // A copy: Disarm may erase the entry while this thread waits.
      const auto at = next->second.at;
      if (std::chrono::steady_clock::now() < at) {
        lock.WaitUntil(wake_, at);
        continue;
      }
      Entry entry = std::move(next->second);
      firing_ = next->first;
      pending_.erase(next);
      lock.Unlock();
      entry.fire();
      lock.Lock();
      firing_ = 0;
      fired_.notify_all();
    }
  }

  Mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable fired_;
  // Few at a time: one per blocking wait with a deadline.
  std::map<std::uint64_t, Entry> pending_ LRO_GUARDED_BY(mutex_);
  std::uint64_t next_id_ LRO_GUARDED_BY(mutex_) = 1;
  std::uint64_t firing_ LRO_GUARDED_BY(mutex_) = 0;
  bool thread_started_ LRO_GUARDED_BY(mutex_) = false;
};

}  // namespace

std::uint64_t DeadlineWatchdog::Arm(std::chrono::steady_clock::time_point at,
                                    std::function<void()> fire) {
  return Watchdog::Instance().Arm(at, std::move(fire));
}

void DeadlineWatchdog::Disarm(std::uint64_t id) { Watchdog::Instance().Disarm(id); }

}  // namespace lro::internal
