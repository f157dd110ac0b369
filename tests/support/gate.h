// A gate a test opens: server handlers wait at it, so that what they answer and when depends on
// the test, not on how threads are scheduled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lro::test {

// Holds server handlers back until opened. A generous safety deadline keeps a broken test
// from hanging forever; timed_out() tells the test that the deadline, not the test, opened it.
class Gate {
 public:
  // Called from a handler: counts the arrival, then blocks until Open() (or the deadline).
  void Pass() {
    std::unique_lock lock(mutex_);
    ++arrivals_;
    changed_.notify_all();
    if (!changed_.wait_for(lock, std::chrono::seconds(30), [this] { return open_; })) {
      timed_out_ = true;
    }
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Blocks until `n` handlers have arrived; false if that took longer than 30 s.
  bool AwaitArrivals(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return arrivals_ >= n; });
  }
  bool timed_out() const {
    std::lock_guard lock(mutex_);
    return timed_out_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int arrivals_ = 0;
  bool open_ = false;
  bool timed_out_ = false;
};

}  // namespace lro::test
