// Group commit: many writers share few transactions, and each is told only after its own
// write is durable.
#include "runtime/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace lro::server::internal {
namespace {

// Records committed ids; commits are slow (like an fsync) so that writers pile up.
class RecordingStore final : public OperationStore {
 public:
  StatusOr<std::vector<WriteOutcome>> Commit(const std::vector<StoreWrite>& writes) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(mutex);
    for (const auto& w : writes) {
      if (w.record.id == "poison") return Status(StatusCode::kUnavailable, "poisoned batch");
    }
    ++commits;
    std::vector<WriteOutcome> outcomes(writes.size());
    for (std::size_t i = 0; i < writes.size(); ++i) {
      committed.insert(writes[i].record.id);
      if (writes[i].record.id == "stale") outcomes[i].kind = WriteOutcome::Kind::kConflict;
    }
    return outcomes;
  }
  StatusOr<std::size_t> PurgeExpired(std::int64_t, std::size_t) override { return 0; }
  StatusOr<std::optional<OperationRecord>> Get(std::string_view, bool) override {
    return std::optional<OperationRecord>();
  }
  StatusOr<std::optional<KeyRecord>> FindKey(std::string_view, KeyKind, std::string_view) override {
    return std::optional<KeyRecord>();
  }
  StatusOr<ListPage> List(const ListQuery&) override { return ListPage{}; }
  StatusOr<std::vector<OperationRecord>> Claim(const ClaimQuery&) override {
    return std::vector<OperationRecord>();
  }
  StatusOr<LeaseRenewal> RenewLease(std::string_view, std::int64_t, std::int64_t) override {
    return LeaseRenewal{};
  }
  StatusOr<bool> RequestCancel(std::string_view) override { return false; }
  StatusOr<std::vector<std::pair<OperationStatus, std::int64_t>>> CountByStatus() override {
    return std::vector<std::pair<OperationStatus, std::int64_t>>();
  }

  bool IsCommitted(const std::string& id) {
    std::lock_guard lock(mutex);
    return committed.contains(id);
  }

  std::mutex mutex;
  int commits = 0;
  std::set<std::string> committed;
};

StoreWrite WriteOf(std::string id) {
  StoreWrite w;
  w.record.id = std::move(id);
  return w;
}

TEST(GroupCommitter, ConcurrentWritersShareTransactionsAndLearnOnlyAfterTheirCommit) {
  auto store = std::make_shared<RecordingStore>();
  GroupCommitter committer(store, 1000);
  constexpr int kThreads = 16;
  constexpr int kWritesEach = 20;
  std::atomic<int> done{0};
  std::atomic<int> early{0};
  // The writer is held until every thread has queued its first write, so those share a
  // transaction whatever the scheduling.
  std::promise<void> release;
  auto released = release.get_future().share();
  committer.Run([released](OperationStore&) { released.wait(); });
  std::atomic<int> first_writes_queued{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesEach; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        std::promise<void> finished;
        committer.Submit([id] { return std::optional<StoreWrite>(WriteOf(id)); },
                         [&, id](const Status& status, const WriteOutcome&) {
                           EXPECT_TRUE(status.ok());
                           if (!store->IsCommitted(id)) ++early;
                           ++done;
                           finished.set_value();
                         });
        if (i == 0) ++first_writes_queued;
        finished.get_future().wait();
      }
    });
  }
  while (first_writes_queued < kThreads) std::this_thread::yield();
  release.set_value();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(done, kThreads * kWritesEach);
  EXPECT_EQ(early, 0);
  EXPECT_LT(store->commits, kThreads * kWritesEach);  // writes were grouped
}

TEST(GroupCommitter, PrepareRunsAtBatchTimeAndMayWriteNothing) {
  auto store = std::make_shared<RecordingStore>();
  GroupCommitter committer(store, 10);
  std::atomic<int> value{0};
  std::string written;
  std::promise<void> both;
  std::atomic<int> remaining{2};
  committer.Submit(
      [&] {
        return std::optional<StoreWrite>(
            WriteOf(std::string("v").append(std::to_string(value.load()))));
      },
      [&](const Status&, const WriteOutcome&) {
        if (--remaining == 0) both.set_value();
      });
  committer.Submit([] { return std::optional<StoreWrite>(); },
                   [&](const Status& status, const WriteOutcome&) {
                     EXPECT_TRUE(status.ok());
                     if (--remaining == 0) both.set_value();
                   });
  both.get_future().wait();
  EXPECT_TRUE(store->IsCommitted("v0"));
}

TEST(GroupCommitter, OneBadWriteDoesNotFailItsNeighbours) {
  auto store = std::make_shared<RecordingStore>();
  GroupCommitter committer(store, 100);
  // Hold the writer so that all three land in one batch.
  std::promise<void> release;
  auto released = release.get_future().share();
  committer.Run([released](OperationStore&) { released.wait(); });
  std::vector<std::promise<std::pair<Status, WriteOutcome>>> outcomes(4);
  const std::vector<std::string> ids{"good1", "poison", "good2", "stale"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    committer.Submit([id = ids[i]] { return std::optional<StoreWrite>(WriteOf(id)); },
                     [&outcomes, i](const Status& status, const WriteOutcome& outcome) {
                       outcomes[i].set_value({status, outcome});
                     });
  }
  release.set_value();
  EXPECT_TRUE(outcomes[0].get_future().get().first.ok());
  EXPECT_FALSE(outcomes[1].get_future().get().first.ok());
  EXPECT_TRUE(outcomes[2].get_future().get().first.ok());
  // A conflict is not a failure of the transaction: it is told to its own writer only.
  auto stale = outcomes[3].get_future().get();
  EXPECT_TRUE(stale.first.ok());
  EXPECT_EQ(stale.second.kind, WriteOutcome::Kind::kConflict);
  EXPECT_TRUE(store->IsCommitted("good1"));
  EXPECT_TRUE(store->IsCommitted("good2"));
}

TEST(GroupCommitter, StopCommitsWhatIsQueuedThenRefuses) {
  auto store = std::make_shared<RecordingStore>();
  auto committer = std::make_unique<GroupCommitter>(store, 100);
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) {
    committer->Submit([i] { return std::optional<StoreWrite>(WriteOf(std::to_string(i))); },
                      [&](const Status& status, const WriteOutcome&) {
                        EXPECT_TRUE(status.ok());
                        ++done;
                      });
  }
  committer->Flush();
  committer->Stop();
  EXPECT_EQ(done, 50);
  EXPECT_FALSE(committer->Submit([] { return std::optional<StoreWrite>(); }, nullptr));
}

}  // namespace
}  // namespace lro::server::internal
