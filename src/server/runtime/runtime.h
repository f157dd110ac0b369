// The operation runtime: creates operations, runs their work, keeps their state durable and
// readable, cancels, recovers after a restart, expires. No HTTP here: the API layer calls it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lro/clock.h"
#include "lro/server/handler.h"
#include "lro/server/store.h"
#include "runtime/executor.h"
#include "runtime/group_committer.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "runtime/operation_cache.h"
#include "runtime/retention.h"
#include "runtime/router.h"
#include "runtime/snapshot.h"
#include "runtime/timer_queue.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

// An idempotency key presented with a Start.
struct KeySpec {
  KeyKind kind = KeyKind::kIdempotencyKey;
  std::string key;
  std::string fingerprint;  // of method, target and body
};

struct RuntimeConfig {
  // Fills a committed state's wire form (Snapshot::body and headers), once per commit and for
  // each state read back from the store. REQUIRED.
  std::function<void(Snapshot&)> render;
  // State reads load the result bytes too (a mode whose state body carries the result).
  bool state_carries_result = false;
  std::shared_ptr<Clock> clock;
  int worker_threads = 8;
  std::chrono::milliseconds inline_budget{200};
  std::chrono::milliseconds retention = std::chrono::hours(24);
  std::chrono::milliseconds idempotency_window = std::chrono::hours(24);
  std::chrono::milliseconds purge_interval = std::chrono::minutes(1);
  std::size_t purge_batch = 1000;
  std::chrono::milliseconds progress_debounce{250};
  std::chrono::milliseconds shutdown_grace{10'000};
  // Finished operations stay in memory this long (or until there are this many), then are
  // read from the store.
  std::chrono::milliseconds hot_period = std::chrono::seconds(60);
  std::size_t hot_limit = 100'000;
  std::size_t max_batch = 4096;

  // Leases (see docs/operations.md). This replica's name in the store: a stable one lets a
  // restarted replica take its own work back at once; two live replicas must never share one.
  std::string replica_id = "lrod";
  // How long a claim holds without renewal; renewed every lease / 3.
  std::chrono::milliseconds lease{10'000};
  // How often the store is asked for runnable work (expired leases, parked steps now due).
  std::chrono::milliseconds claim_interval{1000};
  // Starts of one operation's work (the first run and each takeover) before a takeover fails it.
  int max_attempts = 3;
  // Called with each operation state that has just committed and the operation's principal
  // (on the writer thread; must be quick): Prefer: wait and the event streams.
  std::function<void(const std::string& principal, const std::shared_ptr<const Snapshot>&)>
      on_commit;
};

enum class CreateKind {
  kAccepted,     // 202: snapshot is the committed state
  kFinished,     // succeeded within the budget (or a replay of a succeeded one): the result
  kKeyConflict,  // the key was used with another request
  kKeyInFlight,  // the key's first request has not been answered yet
  kKeyGone,      // the key's operation has expired
  kUnavailable,  // the store failed, or shutting down
};

struct CreateOutcome {
  CreateKind kind = CreateKind::kUnavailable;
  std::shared_ptr<const Snapshot> snapshot;
  bool replay = false;
  std::string message;
};
using CreateCallback = std::function<void(CreateOutcome outcome)>;

struct LiveOp;

class Runtime {
 public:
  Runtime(RuntimeConfig config, std::shared_ptr<OperationStore> store, Router& router,
          Metrics& metrics, Logger& logger);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  Runtime(Runtime&&) = delete;
  Runtime& operator=(Runtime&&) = delete;

  // Starts the threads and recovers unfinished operations. REQUIRES: routes registered.
  Status Start();
  // See Server::Stop. Idempotent.
  void Stop();

  // Creates an operation for `route` running `work`. `done` is called exactly once, from any
  // thread: after the operation's record committed (kAccepted / kFinished), or with why not.
  // `display_name` is stored with it (Reply::display_name).
  void Create(Route& route, const Request& request, Work work, std::string display_name,
              std::optional<KeySpec> key, CreateCallback done);

  // The committed state of `id` if `principal` created it and it has not expired; null
  // otherwise (unknown, someone else's and expired look the same). With `with_result` the
  // result bytes are loaded.
  StatusOr<std::shared_ptr<const Snapshot>> Find(std::string_view id, std::string_view principal,
                                                 bool with_result);
  // Requests cancellation (see WorkResult::Canceled); returns the state as Find does.
  StatusOr<std::shared_ptr<const Snapshot>> Cancel(std::string_view id, std::string_view principal);
  // The caller's operations (query.now_ms is filled in).
  StatusOr<ListPage> List(ListQuery query);
  // One retention pass now; returns the number purged.
  std::size_t PurgeExpired();
  // The runtime's gauges now (/metrics renders them).
  struct Gauges {
    std::int64_t operations_active = 0;  // not finished, run here
    std::size_t executor_queued = 0;
    std::size_t executor_running = 0;
    std::size_t writer_queued = 0;
    std::size_t operations_cached = 0;
    // Stored operations by status; empty when the store could not count them.
    std::vector<std::pair<OperationStatus, std::int64_t>> stored_by_status;
  };
  [[nodiscard]] Gauges ReadGauges();

  [[nodiscard]] std::int64_t NowMs() const;
  [[nodiscard]] MonotonicTime MonotonicNow() const { return config_.clock->Now(); }
  [[nodiscard]] bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

 private:
  friend class OperationContext;
  struct KeyEntry {
    std::string fingerprint;
    std::string operation_id;
    bool answered = false;
    std::int64_t expires_ms = 0;
    MonotonicTime touched;
  };
  enum class KeyState { kReserved, kConflict, kInFlight, kReplay };
  struct KeyDecision {
    KeyState state = KeyState::kReserved;
    std::string operation_id;
    std::string map_key;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  KeyDecision ReserveKey(const std::string& principal, const KeySpec& key);
  void ReleaseKey(const std::string& map_key);
  void MarkKeyAnswered(const std::string& map_key);
  // Forgets expired keys, and answered ones untouched for a while (the store still has them).
  void ForgetOldKeys();

  std::shared_ptr<Snapshot> SnapshotFromRecord(const OperationRecord& record) const;
  bool Expired(const Snapshot& snapshot) const;
  int RetryAfterFor(std::string_view type) const;

  // The …Locked functions: the caller holds op's mutex (LRO_REQUIRES on their definitions, as
  // LiveOp is incomplete here).
  // Writes: every change goes through these; at most one queued write per operation.
  void RequestWriteLocked(const std::shared_ptr<LiveOp>& op);
  std::optional<StoreWrite> PrepareWrite(const std::shared_ptr<LiveOp>& op);
  void OnWriteDone(const std::shared_ptr<LiveOp>& op, const Status& status,
                   const WriteOutcome& outcome);
  void TakeAnswerLocked(LiveOp& op, CreateCallback& answer, CreateOutcome& outcome);

  // Work.
  void RunStep(const std::shared_ptr<LiveOp>& op, const std::shared_ptr<Work>& work);
  void OnStepResult(const std::shared_ptr<LiveOp>& op, const WorkResult& result);
  bool FinishLocked(LiveOp& op, OperationStatus status, std::optional<ErrorInfo> error,
                    std::shared_ptr<const ResultData> result);
  void ReportProgress(const std::shared_ptr<LiveOp>& op, int percent);

  // Leases and takeover (runtime/leases.cc). Claim and Heartbeat run on the writer thread,
  // between two transactions, so no write of this replica is in flight meanwhile.
  Status ClaimAtStart();
  // One claim pass (ClaimQuery); `reclaim_own_expiring_before_ms` as there.
  Status ClaimOnWriter(OperationStore& store, std::int64_t reclaim_own_expiring_before_ms,
                       std::size_t& claimed);
  void Adopt(const OperationRecord& record, std::size_t& rerun, std::size_t& failed);
  void HeartbeatOnWriter(OperationStore& store);
  void LeaseTick();
  // A peer's notification (a cancel request, released work): renew and claim now.
  void WakeUp();
  // At a graceful stop: writes every unfinished operation run here without owner, so that a
  // peer claims it at once rather than when its lease expires.
  void ReleaseLeases();
  // This replica lost `op` (its lease was taken over): stop its work, forget it.
  void Abandon(const std::shared_ptr<LiveOp>& op);
  // The key of `op`'s insert was held by another operation: answer its creator from that one.
  void AnswerFromKeyHolder(const std::shared_ptr<LiveOp>& op, const KeyRecord& holder);
  // Marks `op` cancel-requested; returns the continuation timer to run now (0 for none).
  TimerQueue::Id RequestCancelLocked(const std::shared_ptr<LiveOp>& op);

  void Janitor();

  RuntimeConfig config_;
  std::shared_ptr<OperationStore> store_;
  Router& router_;
  Metrics& metrics_;
  Logger& logger_;

  std::unique_ptr<Executor> executor_;
  std::unique_ptr<TimerQueue> timers_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Retention> retention_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> live_{0};

  std::unique_ptr<OperationCache> cache_;

  Mutex keys_mutex_;
  std::unordered_map<std::string, KeyEntry, StringHash, std::equal_to<>> keys_
      LRO_GUARDED_BY(keys_mutex_);

  TimerQueue::Id janitor_timer_ = 0;
  std::int64_t next_heartbeat_ms_ = 0;  // writer thread only
  std::atomic<bool> claim_again_{false};
  std::atomic<bool> wake_pending_{false};
};

}  // namespace lro::server::internal
