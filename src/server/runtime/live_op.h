// One operation as the runtime holds it while it runs here (or while a finished one is kept
// hot for its polls), and the errors the runtime ends operations with. Internal to the runtime.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lro/server/handler.h"
#include "lro/server/store.h"
#include "runtime/router.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"
#include "runtime/timer_queue.h"

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

  std::mutex mutex;
  std::condition_variable wake;  // SleepFor waits here

  // The latest decided state: equal to or ahead of `committed`.
  OperationStatus status = OperationStatus::kNotStarted;
  std::optional<int> percent;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> expires_ms;
  std::optional<ErrorInfo> error;
  bool has_result = false;
  std::shared_ptr<const ResultData> result;

  // The version this replica last wrote (or claimed); 0 until the insert committed. Every
  // update is conditional on it.
  std::int64_t version = 0;
  std::optional<std::int64_t> next_run_ms;  // a ContinueAfter step is due then
  int attempts = 1;

  bool cancel_requested = false;
  bool released = false;         // at a graceful stop: written without owner, for a peer to claim
  bool dead = false;             // its insert failed, or it was taken over: not ours to write
  bool insert_prepared = false;  // later writes are UPDATEs
  bool write_queued = false;
  bool terminal_published = false;
  // What readers see: published only after its write committed. Null until the insert did.
  std::shared_ptr<const Snapshot> committed;
  std::shared_ptr<const Snapshot> prepared;  // in the transaction being committed

  // The creating request, waiting for its answer.
  CreateCallback answer;
  bool budget_expired = false;
  TimerQueue::Id budget_timer = 0;

  // Work that starts once the insert committed (an operation with an idempotency key: until
  // then another replica may hold the key, and this operation never exists).
  std::shared_ptr<Work> start_after_insert;
  std::shared_ptr<Work> continuation;
  TimerQueue::Id continuation_timer = 0;
  TimerQueue::Id progress_timer = 0;
  MonotonicTime progress_written_at{};
};

// The error of an operation canceled at its caller's request.
ErrorInfo CanceledError();
// The error of an operation whose replica was lost and whose work cannot be re-run.
ErrorInfo InterruptedError();
// The error of an operation taken over more often than RuntimeConfig::max_attempts allows.
ErrorInfo AttemptsExhaustedError(int attempts);

}  // namespace lro::server::internal
