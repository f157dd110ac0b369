#include "runtime/retention.h"

#include <future>
#include <string>
#include <utility>

#include "common/time_text.h"

namespace lro::server::internal {

Retention::Retention(RetentionConfig config, std::shared_ptr<Clock> clock,
                     GroupCommitter& committer, Metrics& metrics, Logger& logger)
    : config_(config),
      clock_(std::move(clock)),
      committer_(committer),
      metrics_(metrics),
      logger_(logger) {}

std::size_t Retention::Pass(OperationStore& store) {
  const std::size_t batch = config_.batch == 0 ? 1 : config_.batch;
  auto purged = store.PurgeExpired(ToUnixMs(clock_->WallNow()), batch);
  if (!purged.ok()) {
    logger_.Log(LogLevel::kError, "retention pass failed", {{"error", purged.status().message()}});
    return 0;
  }
  metrics_.operations_purged.fetch_add(*purged, std::memory_order_relaxed);
  return *purged;
}

void Retention::Tick() {
  const MonotonicTime now = clock_->Now();
  {
    MutexLock lock(mutex_);
    const bool due = !next_pass_ || now >= *next_pass_;
    if (!due && !again_.exchange(false)) return;
    next_pass_ = now + config_.interval;
  }
  committer_.Run([this](OperationStore& store) {
    if (Pass(store) >= config_.batch) again_ = true;
  });
}

std::size_t Retention::PurgeNow() {
  std::size_t total = 0;
  for (;;) {
    auto purged = std::make_shared<std::promise<std::size_t>>();
    auto future = purged->get_future();
    committer_.Run([this, purged](OperationStore& store) { purged->set_value(Pass(store)); });
    purged.reset();  // a job dropped at a stop breaks the promise: get() throws, not hangs
    std::size_t count = 0;
    try {
      count = future.get();
    } catch (const std::future_error&) {
      return total;
    }
    total += count;
    if (count < config_.batch) return total;
  }
}

}  // namespace lro::server::internal
