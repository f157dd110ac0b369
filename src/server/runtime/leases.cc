// Leases: which replica runs which operation. A replica holds every operation it runs under
// its own lease, one row it renews (a heartbeat: one write, whatever the number of operations),
// and each operation under the lease it got when inserted or claimed. It claims runnable work
// (expired leases: a dead or stalled peer's, or its own predecessor's at start) and takes it over:
// re-run from its stored request when the handler is idempotent (up to max_attempts starts), else
// failed as interrupted. A write of an operation this replica lost is refused by the store
// (fencing) and the operation is dropped here. Startup recovery is the same takeover. Claims and
// heartbeats run on the writer thread, between two transactions: no write of this replica is in
// flight while they change versions.

#include <future>
#include <unordered_set>
#include <utility>
#include <vector>

#include "runtime/ids.h"
#include "runtime/live_op.h"
#include "runtime/request_codec.h"
#include "runtime/runtime.h"

namespace lro::server::internal {
namespace {

constexpr std::size_t kClaimBatch = 100;

}  // namespace

Status Runtime::ClaimAtStart() {
  // What this replica's predecessor (same id, now dead) held expires before this; what the
  // passes below claim expires after it, so a pass never takes back its own claims again.
  const std::int64_t predecessors_leases_end = NowMs() + config_.lease.count();
  for (;;) {
    std::promise<Status> done;
    auto future = done.get_future();
    std::size_t claimed = 0;
    committer_->Run([this, &done, &claimed, predecessors_leases_end](OperationStore& store) {
      done.set_value(ClaimOnWriter(store, predecessors_leases_end, claimed));
    });
    Status status = future.get();
    if (!status.ok()) return status;
    if (claimed < kClaimBatch) return Status();
  }
}

Status Runtime::ClaimOnWriter(OperationStore& store, std::int64_t reclaim_own_expiring_before_ms,
                              std::size_t& claimed) {
  ClaimQuery query;
  query.owner = config_.replica_id;
  query.now_ms = NowMs();
  query.lease_ms = config_.lease.count();
  query.limit = kClaimBatch;
  query.reclaim_own_expiring_before_ms = reclaim_own_expiring_before_ms;
  auto records = store.Claim(query);
  if (!records.ok()) return records.status();
  claimed = records->size();
  std::size_t rerun = 0;
  std::size_t failed = 0;
  for (const auto& record : *records) {
    if (auto op = cache_->Find(record.id)) {
      MutexLock lock(op->mutex);
      if (!op->dead && op->version > 0 && op->route != nullptr && !op->terminal_published) {
        // Still running here (its lease lapsed, say after a pause): the claim renewed it.
        op->version = record.version;
        continue;
      }
    }
    Adopt(record, rerun, failed);
  }
  metrics_.operations_recovered_rerun.fetch_add(rerun, std::memory_order_relaxed);
  metrics_.operations_recovered_failed.fetch_add(failed, std::memory_order_relaxed);
  if (rerun + failed > 0) {
    logger_.Log(LogLevel::kInfo, "recovered unfinished operations",
                {{"rerun", std::to_string(rerun)}, {"failed", std::to_string(failed)}});
  }
  return Status();
}

void Runtime::Adopt(const OperationRecord& record, std::size_t& rerun, std::size_t& failed) {
  auto op = std::make_shared<LiveOp>();
  op->id = record.id;
  op->principal = record.principal;
  op->type = record.type;
  op->display_name = record.display_name;
  op->created_ms = record.created_ms;
  op->route = router_.ByType(record.type);
  op->retry_after_s = RetryAfterFor(record.type);
  {
    MutexLock lock(op->mutex);  // not shared yet: for the analysis
    op->status = record.status;
    op->percent = record.percent_complete;
    op->updated_ms = record.updated_ms;
    op->version = record.version;
    op->attempts = record.attempts;
    op->cancel_requested = record.cancel_requested;
    op->insert_prepared = true;
    op->committed = SnapshotFromRecord(record);
  }
  cache_->Put(op);
  live_.fetch_add(1, std::memory_order_relaxed);

  if (record.cancel_requested) {
    MutexLock lock(op->mutex);
    FinishLocked(*op, OperationStatus::kCanceled, CanceledError(), nullptr);
    RequestWriteLocked(op);
    return;
  }
  if (record.attempts > config_.max_attempts) {
    ++failed;
    logger_.Log(LogLevel::kWarning, "failing an operation taken over too often",
                {{"operationId", op->id}, {"attempts", std::to_string(record.attempts)}});
    MutexLock lock(op->mutex);
    FinishLocked(*op, OperationStatus::kFailed, AttemptsExhaustedError(record.attempts), nullptr);
    RequestWriteLocked(op);
    return;
  }
  std::shared_ptr<Work> work;
  if (op->route != nullptr && op->route->options.idempotent && !record.request.empty()) {
    if (auto request = DecodeRequest(record.request)) {
      auto match = router_.Find(request->method, request->path);
      if (match.kind == Router::MatchKind::kFound && match.route == op->route) {
        request->params = std::move(match.params);
        request->principal = record.principal;
        request->request_id = NewRequestId();
        try {
          Reply reply = op->route->handler(*request);
          if (reply.kind() == Reply::Kind::kStart && reply.work()) {
            work = std::make_shared<Work>(reply.work());
          }
        } catch (...) {
          work.reset();
        }
      }
    }
  }
  if (work) {
    ++rerun;
    logger_.Log(LogLevel::kInfo, "re-running an interrupted operation",
                {{"operationId", op->id}, {"type", op->type}});
    executor_->Submit(op->route->executor_class, [this, op, work] { RunStep(op, work); });
  } else {
    ++failed;
    logger_.Log(LogLevel::kWarning, "failing an interrupted operation that cannot be re-run",
                {{"operationId", op->id}, {"type", op->type}});
    MutexLock lock(op->mutex);
    FinishLocked(*op, OperationStatus::kFailed, InterruptedError(), nullptr);
    RequestWriteLocked(op);
  }
}

void Runtime::HeartbeatOnWriter(OperationStore& store) {
  // A heartbeat normally comes when two thirds of the previous lease are left. One that comes
  // with less than a third left (this replica stalled, or its clock and a peer's disagree) may
  // have let a peer claim some of its work: then the store lists everything it still owns.
  const std::int64_t now = NowMs();
  const std::int64_t lease = config_.lease.count();
  auto renewal = store.RenewLease(config_.replica_id, now + lease, now + lease / 3);
  if (!renewal.ok()) {
    logger_.Log(LogLevel::kWarning, "lease renewal failed",
                {{"error", renewal.status().message()}});
    return;
  }
  std::vector<TimerQueue::Id> wakes;
  for (const auto& state : renewal->operations) {
    if (!state.cancel_requested) continue;
    // A cancel request received by any replica: honoured here, within one heartbeat.
    if (auto op = cache_->Find(state.id)) {
      MutexLock lock(op->mutex);
      if (!op->dead && !op->cancel_requested && !IsTerminal(op->status) && op->route != nullptr) {
        if (auto wake = RequestCancelLocked(op); wake != 0) wakes.push_back(wake);
      }
    }
  }
  for (auto wake : wakes) timers_->RunNow(wake);
  if (!renewal->complete) return;
  // What this replica runs but no longer owns was taken over.
  std::unordered_set<std::string_view> held;
  held.reserve(renewal->operations.size());
  for (const auto& state : renewal->operations) held.insert(state.id);
  std::vector<std::shared_ptr<LiveOp>> lost;
  cache_->ForEach([&held, &lost](const std::shared_ptr<LiveOp>& op) {
    if (held.contains(op->id)) return;
    MutexLock op_lock(op->mutex);
    if (!op->dead && op->version > 0 && op->route != nullptr && op->committed &&
        !IsTerminal(op->committed->status)) {
      lost.push_back(op);
    }
  });
  for (const auto& op : lost) {
    logger_.Log(LogLevel::kWarning, "lease lost: another replica took this operation over",
                {{"operationId", op->id}});
    Abandon(op);
  }
}

void Runtime::LeaseTick() {
  if (stopping()) return;
  committer_->Run([this](OperationStore& store) {
    if (stopping()) return;
    const std::int64_t now = NowMs();
    if (now >= next_heartbeat_ms_) {
      next_heartbeat_ms_ = now + std::max<std::int64_t>(1, config_.lease.count() / 3);
      HeartbeatOnWriter(store);
    }
    std::size_t claimed = 0;
    if (auto status = ClaimOnWriter(store, 0, claimed); !status.ok()) {
      logger_.Log(LogLevel::kWarning, "claiming work failed", {{"error", status.message()}});
    }
    if (claimed == kClaimBatch) claim_again_ = true;
  });
  const auto delay = claim_again_.exchange(false)
                         ? std::chrono::milliseconds(0)
                         : std::min(config_.claim_interval,
                                    std::max(std::chrono::milliseconds(1), config_.lease / 3));
  timers_->After(delay, [this] { LeaseTick(); });
}

void Runtime::WakeUp() {
  if (stopping() || wake_pending_.exchange(true)) return;  // one pending wake-up is enough
  committer_->Run([this](OperationStore& store) {
    wake_pending_ = false;
    if (stopping()) return;
    HeartbeatOnWriter(store);  // cancel requests reach their operations now
    std::size_t claimed = 0;
    if (auto status = ClaimOnWriter(store, 0, claimed); !status.ok()) {
      logger_.Log(LogLevel::kWarning, "claiming work failed", {{"error", status.message()}});
    }
  });
}

void Runtime::ReleaseLeases() {
  std::vector<std::shared_ptr<LiveOp>> ops;
  cache_->ForEach([&ops](const std::shared_ptr<LiveOp>& op) { ops.push_back(op); });
  std::size_t released = 0;
  for (const auto& op : ops) {
    MutexLock lock(op->mutex);
    if (op->dead || op->route == nullptr || IsTerminal(op->status)) continue;
    op->released = true;
    RequestWriteLocked(op);
    ++released;
  }
  if (released > 0) {
    logger_.Log(LogLevel::kInfo, "handing unfinished operations over to the other replicas",
                {{"operations", std::to_string(released)}});
  }
}

void Runtime::Abandon(const std::shared_ptr<LiveOp>& op) {
  CreateCallback answer;
  CreateOutcome outcome;
  bool was_live = false;
  {
    MutexLock lock(op->mutex);
    if (op->dead) return;
    op->dead = true;
    op->cancel_requested = true;  // its work, still running here, should stop
    op->wake.notify_all();
    op->prepared.reset();
    op->start_after_insert.reset();
    was_live = !op->terminal_published;
    for (TimerQueue::Id* timer :
         {&op->budget_timer, &op->continuation_timer, &op->progress_timer}) {
      if (*timer != 0) timers_->Cancel(*timer);
      *timer = 0;
    }
    if (op->answer && op->committed) {
      answer = std::move(op->answer);
      op->answer = nullptr;
      outcome.kind = CreateKind::kAccepted;
      outcome.snapshot = op->committed;
    }
  }
  cache_->Erase(op);
  if (was_live) live_.fetch_sub(1, std::memory_order_relaxed);
  if (answer) answer(std::move(outcome));
}

}  // namespace lro::server::internal
