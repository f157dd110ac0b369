// Retention (SPEC §8): finished operations and their idempotency keys are deleted from the store
// once they expire. A pass deletes at most one batch, on the writer thread between two group
// commits; the store lets one replica purge at a time. Time is the injected clock's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "lro/clock.h"
#include "runtime/group_committer.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

struct RetentionConfig {
  std::chrono::milliseconds interval = std::chrono::minutes(1);  // between two passes
  std::size_t batch = 1000;                                      // operations per pass
};

class Retention {
 public:
  Retention(RetentionConfig config, std::shared_ptr<Clock> clock, GroupCommitter& committer,
            Metrics& metrics, Logger& logger);

  // Called often (each janitor tick): queues a pass when `interval` has passed since the last
  // one, or at once when the last one deleted a full batch (more are due). Does not wait.
  void Tick();
  // Passes now until one deletes less than a batch (or the writer stops); returns how many
  // were deleted.
  std::size_t PurgeNow();

 private:
  // One pass on the writer thread; the number deleted (0 when it failed, which is logged).
  std::size_t Pass(OperationStore& store);

  const RetentionConfig config_;
  const std::shared_ptr<Clock> clock_;
  GroupCommitter& committer_;
  Metrics& metrics_;
  Logger& logger_;

  Mutex mutex_;
  std::optional<MonotonicTime> next_pass_ LRO_GUARDED_BY(mutex_);  // none yet: due now
  std::atomic<bool> again_{false};  // the last pass deleted a full batch
};

}  // namespace lro::server::internal
