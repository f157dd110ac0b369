// One operation as the runtime holds it while it runs here (or while a finished one is kept
// hot for its polls), and the errors the runtime ends operations with. Internal to the runtime.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lro/server/handler.h"
#include "lro/server/store.h"
#include "runtime/router.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"
#include "runtime/timer_queue.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

// One operation known to this process. Lock order: LiveOp::mutex, then the committer's,
// timers', executor's or keys' mutex; never the other way round.
struct LiveOp {
  // Immutable once shared.
  std::string id;
  std::string principal;
  std::string type;
  std::string display_name;
  Route* route = nullptr;  // null for operations read back from the store
  std::int64_t created_ms = 0;
  std::string request;  // for re-runs (empty = cannot be re-run); moved into the insert
  int retry_after_s = 1;
  std::string key_map_key;       // the idempotency key reserved for it, if any
  std::optional<KeyRecord> key;  // written with the insert

  Mutex mutex;                   // guards what follows
  std::condition_variable wake;  // SleepFor waits here

  // The latest decided state: equal to or ahead of `committed`.
  OperationStatus status LRO_GUARDED_BY(mutex) = OperationStatus::kNotStarted;
  std::optional<int> percent LRO_GUARDED_BY(mutex);
  std::int64_t updated_ms LRO_GUARDED_BY(mutex) = 0;
  std::optional<std::int64_t> expires_ms LRO_GUARDED_BY(mutex);
  std::optional<ErrorInfo> error LRO_GUARDED_BY(mutex);
  bool has_result LRO_GUARDED_BY(mutex) = false;
  std::shared_ptr<const ResultData> result LRO_GUARDED_BY(mutex);

  // The version this replica last wrote (or claimed); 0 until the insert committed. Every
  // update is conditional on it.
  std::int64_t version LRO_GUARDED_BY(mutex) = 0;
  // A ContinueAfter step is due then.
  std::optional<std::int64_t> next_run_ms LRO_GUARDED_BY(mutex);
  int attempts LRO_GUARDED_BY(mutex) = 1;

  bool cancel_requested LRO_GUARDED_BY(mutex) = false;
  // At a graceful stop: written without owner, for a peer to claim.
  bool released LRO_GUARDED_BY(mutex) = false;
  // Its insert failed, or it was taken over: not ours to write.
  bool dead LRO_GUARDED_BY(mutex) = false;
  bool insert_prepared LRO_GUARDED_BY(mutex) = false;  // later writes are UPDATEs
  bool write_queued LRO_GUARDED_BY(mutex) = false;
  bool terminal_published LRO_GUARDED_BY(mutex) = false;
  // What readers see: published only after its write committed. Null until the insert did.
  std::shared_ptr<const Snapshot> committed LRO_GUARDED_BY(mutex);
  // In the transaction being committed.
  std::shared_ptr<const Snapshot> prepared LRO_GUARDED_BY(mutex);

  // The creating request, waiting for its answer.
  CreateCallback answer LRO_GUARDED_BY(mutex);
  bool budget_expired LRO_GUARDED_BY(mutex) = false;
  TimerQueue::Id budget_timer LRO_GUARDED_BY(mutex) = 0;

  // Work that starts once the insert committed (an operation with an idempotency key: until
  // then another replica may hold the key, and this operation never exists).
  std::shared_ptr<Work> start_after_insert LRO_GUARDED_BY(mutex);
  std::shared_ptr<Work> continuation LRO_GUARDED_BY(mutex);
  TimerQueue::Id continuation_timer LRO_GUARDED_BY(mutex) = 0;
  TimerQueue::Id progress_timer LRO_GUARDED_BY(mutex) = 0;
  MonotonicTime progress_written_at LRO_GUARDED_BY(mutex) = {};
};

// The error of an operation canceled at its caller's request.
ErrorInfo CanceledError();
// The error of an operation whose replica was lost and whose work cannot be re-run.
ErrorInfo InterruptedError();
// The error of an operation taken over more often than RuntimeConfig::max_attempts allows.
ErrorInfo AttemptsExhaustedError(int attempts);

}  // namespace lro::server::internal
