#include "runtime/group_committer.h"

#include <pthread.h>

#include <future>
#include <utility>
#include <vector>

namespace lro::server::internal {

GroupCommitter::GroupCommitter(std::shared_ptr<OperationStore> store, std::size_t max_batch,
                               Observer observer, std::shared_ptr<Clock> clock)
    : store_(std::move(store)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      observer_(std::move(observer)),
      clock_(clock ? std::move(clock) : SystemClock()),
      thread_([this] {
        pthread_setname_np(pthread_self(), "lrod-writer");
        Loop();
      }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

bool GroupCommitter::Submit(Prepare prepare, Done done) {
  bool wake = false;
  {
    MutexLock lock(mutex_);
    if (stopping_) return false;
    queue_.push_back(Item{std::move(prepare), std::move(done), {}});
    wake = queue_.size() == 1;
  }
  // Outside the lock: the writer, woken, does not find it still held.
  if (wake) wake_.notify_one();
  return true;
}

void GroupCommitter::Run(std::function<void(OperationStore&)> job) {
  MutexLock lock(mutex_);
  if (stopping_) return;
  queue_.push_back(Item{{}, {}, std::move(job)});
  if (queue_.size() == 1) wake_.notify_one();
}

void GroupCommitter::Flush() {
  std::promise<void> flushed;
  auto future = flushed.get_future();
  {
    MutexLock lock(mutex_);
    if (stopping_ || !thread_.joinable()) return;
    queue_.push_back(Item{{}, {}, [&flushed](OperationStore&) { flushed.set_value(); }});
    if (queue_.size() == 1) wake_.notify_one();
  }
  future.wait();
}

void GroupCommitter::Stop() {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t GroupCommitter::queue_depth() const {
  MutexLock lock(mutex_);
  return queue_.size();
}

void GroupCommitter::Loop() {
  std::deque<Item> batch;
  for (;;) {
    std::function<void(OperationStore&)> job;
    {
      MutexLock lock(mutex_);
      lock.Wait(wake_, [&] {
        mutex_.AssertHeld();
        return stopping_ || !queue_.empty();
      });
      if (queue_.empty()) return;  // stopping, and everything is committed
      if (queue_.front().job) {
        job = std::move(queue_.front().job);
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front().job && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (job) {
      job(*store_);
      continue;
    }
    CommitBatch(batch);
    batch.clear();
  }
}

void GroupCommitter::CommitBatch(std::deque<Item>& batch) {
  std::vector<StoreWrite> writes;
  std::vector<std::size_t> owners;  // writes[i] came from batch[owners[i]]
  writes.reserve(batch.size());
  owners.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].prepare) continue;
    if (auto write = batch[i].prepare()) {
      writes.push_back(std::move(*write));
      owners.push_back(i);
    }
  }
  std::vector<Status> statuses(batch.size());
  std::vector<WriteOutcome> outcomes(batch.size());
  if (!writes.empty()) {
    const MonotonicTime started = clock_->Now();
    auto committed = store_->Commit(writes);
    if (observer_) {
      observer_(writes.size(), clock_->Now() - started, committed.ok());
    }
    if (committed.ok()) {
      for (std::size_t i = 0; i < writes.size() && i < committed->size(); ++i) {
        outcomes[owners[i]] = (*committed)[i];
      }
    } else if (writes.size() > 1) {
      // One bad write must not fail its neighbours: commit them one by one.
      for (std::size_t i = 0; i < writes.size(); ++i) {
        auto alone = store_->Commit({writes[i]});
        if (alone.ok() && !alone->empty()) {
          outcomes[owners[i]] = alone->front();
        } else {
          statuses[owners[i]] = alone.ok() ? Status() : alone.status();
        }
      }
    } else {
      statuses[owners[0]] = committed.status();
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(statuses[i], outcomes[i]);
  }
}

}  // namespace lro::server::internal
