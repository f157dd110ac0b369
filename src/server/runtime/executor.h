// The pool that runs operations' work, with a concurrency limit per operation type.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "wire/thread_safety.h"

namespace lro::server::internal {

class Executor {
 public:
  explicit Executor(int threads);
  // Stop()s.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  Executor(Executor&&) = delete;
  Executor& operator=(Executor&&) = delete;

  // Declares a class of tasks of which at most `max_concurrency` run at once (0 = no limit
  // beyond the pool). Returns its id for Submit. REQUIRES: before the first Submit.
  int AddClass(int max_concurrency);
  // Queues `task`; FIFO within a class. Dropped silently after Stop().
  void Submit(int task_class, std::function<void()> task);
  // Stops taking tasks, drops queued ones, waits for running ones (up to `grace`, then keeps
  // waiting but returns false), joins the threads. Idempotent.
  bool Stop(std::chrono::milliseconds grace);

  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] std::size_t running() const;

 private:
  struct Class {
    int limit = 0;
    int admitted = 0;  // in ready_ or running
    std::deque<std::function<void()>> backlog;
  };
  struct Ready {
    int task_class;
    std::function<void()> task;
  };
  void Loop() LRO_EXCLUDES(mutex_);

  mutable Mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable idle_;
  std::vector<Class> classes_ LRO_GUARDED_BY(mutex_);
  std::deque<Ready> ready_ LRO_GUARDED_BY(mutex_);
  std::size_t backlog_size_ LRO_GUARDED_BY(mutex_) = 0;
  std::size_t running_ LRO_GUARDED_BY(mutex_) = 0;
  bool stopping_ LRO_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace lro::server::internal
