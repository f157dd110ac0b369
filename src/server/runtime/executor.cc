#include "runtime/executor.h"

#include <pthread.h>

#include <algorithm>

namespace lro::server::internal {

Executor::Executor(int threads) {
  classes_.push_back(Class{});  // class 0: unlimited
  const int count = std::max(1, threads);
  threads_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "lrod-worker");
      Loop();
    });
  }
}

Executor::~Executor() { Stop(std::chrono::milliseconds(0)); }

int Executor::AddClass(int max_concurrency) {
  MutexLock lock(mutex_);
  classes_.push_back(Class{std::max(0, max_concurrency), 0, {}});
  return static_cast<int>(classes_.size() - 1);
}

void Executor::Submit(int task_class, std::function<void()> task) {
  bool wake = false;
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    auto index = static_cast<std::size_t>(task_class);
    if (index >= classes_.size()) index = 0;
    Class& c = classes_[index];
    if (c.limit == 0 || c.admitted < c.limit) {
      ++c.admitted;
      // A non-empty queue has a worker on its way already (Loop wakes a peer when it leaves
      // work behind), so a burst of submissions costs one wake-up, not one each.
      wake = ready_.empty();
      ready_.push_back(Ready{static_cast<int>(index), std::move(task)});
    } else {
      c.backlog.push_back(std::move(task));
      ++backlog_size_;
    }
  }
  // Outside the lock: the woken worker does not find it still held.
  if (wake) work_available_.notify_one();
}

bool Executor::Stop(std::chrono::milliseconds grace) {
  std::deque<Ready> dropped;
  std::vector<std::deque<std::function<void()>>> dropped_backlogs;
  bool in_time = true;
  {
    MutexLock lock(mutex_);
    if (stopping_ && threads_.empty()) return true;
    stopping_ = true;
    dropped.swap(ready_);
    for (auto& c : classes_) {
      dropped_backlogs.push_back(std::move(c.backlog));
      c.backlog.clear();
    }
    backlog_size_ = 0;
    work_available_.notify_all();
    in_time = lock.WaitFor(idle_, grace, [&] {
      mutex_.AssertHeld();
      return running_ == 0;
    });
  }
  // Tasks hold references to operations; release them outside the lock.
  dropped.clear();
  dropped_backlogs.clear();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  return in_time;
}

std::size_t Executor::queued() const {
  MutexLock lock(mutex_);
  return ready_.size() + backlog_size_;
}

std::size_t Executor::running() const {
  MutexLock lock(mutex_);
  return running_;
}

void Executor::Loop() {
  MutexLock lock(mutex_);
  for (;;) {
    lock.Wait(work_available_, [&] {
      mutex_.AssertHeld();
      return stopping_ || !ready_.empty();
    });
    if (stopping_) return;
    Ready next = std::move(ready_.front());
    ready_.pop_front();
    ++running_;
    const bool more = !ready_.empty();
    lock.Unlock();
    if (more) work_available_.notify_one();  // a peer takes the rest meanwhile
    next.task();
    next.task = nullptr;
    lock.Lock();
    --running_;
    Class& c = classes_[static_cast<std::size_t>(next.task_class)];
    --c.admitted;
    if (!c.backlog.empty() && !stopping_) {
      ++c.admitted;
      --backlog_size_;
      ready_.push_back(Ready{next.task_class, std::move(c.backlog.front())});
      c.backlog.pop_front();
      work_available_.notify_one();
    }
    if (running_ == 0) idle_.notify_all();
  }
}

}  // namespace lro::server::internal
