#include "client/faces/deadline_watchdog.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

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
    std::lock_guard lock(mutex_);
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
    std::unique_lock lock(mutex_);
    pending_.erase(id);
    fired_.wait(lock, [&] { return firing_ != id; });
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point at;
    std::function<void()> fire;
  };

  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {
      auto next = pending_.end();
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (next == pending_.end() || it->second.at < next->second.at) next = it;
      }
      if (next == pending_.end()) {
        wake_.wait(lock);
        continue;
      }
      // A copy: Disarm may erase the entry while this thread waits.
      const auto at = next->second.at;
      if (std::chrono::steady_clock::now() < at) {
        wake_.wait_until(lock, at);
        continue;
      }
      Entry entry = std::move(next->second);
      firing_ = next->first;
      pending_.erase(next);
      lock.unlock();
      entry.fire();
      lock.lock();
      firing_ = 0;
      fired_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable fired_;
  std::map<std::uint64_t, Entry> pending_;  // few at a time: one per blocking wait with a deadline
  std::uint64_t next_id_ = 1;
  std::uint64_t firing_ = 0;
  bool thread_started_ = false;
};

}  // namespace

std::uint64_t DeadlineWatchdog::Arm(std::chrono::steady_clock::time_point at,
                                    std::function<void()> fire) {
  return Watchdog::Instance().Arm(at, std::move(fire));
}

void DeadlineWatchdog::Disarm(std::uint64_t id) { Watchdog::Instance().Disarm(id); }

}  // namespace lro::internal
