// Group commit: one writer thread turns many concurrent writes into few durable transactions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "lro/clock.h"
#include "lro/server/store.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

// Every write submitted while a transaction is being committed joins the next one, so the
// number of fsyncs per second stays bounded whatever the write rate; each writer is told
// only after its own write is durable.
class GroupCommitter {
 public:
  // Runs on the writer thread just before the transaction: returns the write to make (taken
  // at that moment, so it holds the latest state), or nullopt for nothing.
  using Prepare = std::function<std::optional<StoreWrite>()>;
  // Runs on the writer thread once the transaction is durable (OK, with what became of the
  // write: applied, or refused as a conflict) or failed. Must not block.
  using Done = std::function<void(const Status& status, const WriteOutcome& outcome)>;
  // Told of each transaction: writes in it, time it took, outcome.
  using Observer =
      std::function<void(std::size_t writes, std::chrono::nanoseconds elapsed, bool ok)>;

  // `clock` times the transactions for the observer (null: the system clock).
  GroupCommitter(std::shared_ptr<OperationStore> store, std::size_t max_batch,
                 Observer observer = {}, std::shared_ptr<Clock> clock = nullptr);
  // Stop()s.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;
  GroupCommitter(GroupCommitter&&) = delete;
  GroupCommitter& operator=(GroupCommitter&&) = delete;

  // Queues a write. Returns false, dropping it (`done` is never called), after Stop().
  bool Submit(Prepare prepare, Done done);
  // Runs `job` on the writer thread between two transactions, with the store to itself.
  void Run(std::function<void(OperationStore& store)> job);
  // Blocks until everything queued before the call has been committed (or failed).
  void Flush();
  // Commits what is queued, then stops the thread. Idempotent.
  void Stop();

  [[nodiscard]] std::size_t queue_depth() const;

 private:
  struct Item {
    Prepare prepare;
    Done done;
    std::function<void(OperationStore&)> job;
  };
  void Loop() LRO_EXCLUDES(mutex_);
  void CommitBatch(std::deque<Item>& batch);

  std::shared_ptr<OperationStore> store_;
  const std::size_t max_batch_;
  Observer observer_;
  std::shared_ptr<Clock> clock_;

  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_ LRO_GUARDED_BY(mutex_);
  bool stopping_ LRO_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace lro::server::internal
