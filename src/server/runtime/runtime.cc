#include "runtime/runtime.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "common/json_text.h"
#include "common/time_text.h"
#include "runtime/ids.h"
#include "runtime/live_op.h"
#include "runtime/request_codec.h"

namespace lro::server::internal {

class OperationContext final : public WorkContext {
 public:
  OperationContext(Runtime& runtime, std::shared_ptr<LiveOp> op)
      : runtime_(runtime), op_(std::move(op)) {}
  const std::string& operation_id() const override { return op_->id; }
  const std::string& principal() const override { return op_->principal; }
  void ReportProgress(int percent) override { runtime_.ReportProgress(op_, percent); }
  bool CancelRequested() const override {
    MutexLock lock(op_->mutex);
    return op_->cancel_requested;
  }
  bool ShuttingDown() const override { return runtime_.stopping(); }
  bool SleepFor(std::chrono::milliseconds duration) override {
    MutexLock lock(op_->mutex);
    return !lock.WaitFor(op_->wake, duration, [&] {
      op_->mutex.AssertHeld();
      return op_->cancel_requested || runtime_.stopping();
    });
  }

 private:
  Runtime& runtime_;
  std::shared_ptr<LiveOp> op_;
};

ErrorInfo CanceledError() {
  return ErrorInfo{
      "OperationCanceled", "The operation was canceled at the caller's request.", {}, false};
}

ErrorInfo InterruptedError() {
  return ErrorInfo{"OperationInterrupted",
                   "The lrod replica running this operation was lost (it stopped, or lost its "
                   "lease on the store), and its work cannot be re-run safely, so it did not "
                   "complete. Start it again if needed.",
                   {},
                   false};
}

ErrorInfo AttemptsExhaustedError(int attempts) {
  return ErrorInfo{"OperationInterrupted",
                   "The lrod replicas running this operation were lost " +
                       std::to_string(attempts - 1) +
                       " times; it is not started again. Start it again if needed.",
                   {},
                   false};
}

namespace {

WorkResult InvokeWork(const Work& work, WorkContext& context) {
  try {
    return work(context);
  } catch (const std::exception& e) {
    return WorkResult::Error(
        ErrorInfo{"InternalError", std::string("the work failed: ") + e.what(), {}, false});
  } catch (...) {
    return WorkResult::Error(ErrorInfo{"InternalError", "the work failed", {}, false});
  }
}

}  // namespace

Runtime::Runtime(RuntimeConfig config, std::shared_ptr<OperationStore> store, Router& router,
                 Metrics& metrics, Logger& logger)
    : config_(std::move(config)),
      store_(std::move(store)),
      router_(router),
      metrics_(metrics),
      logger_(logger) {
  if (!config_.clock) config_.clock = SystemClock();
  cache_ = std::make_unique<OperationCache>(config_.clock, config_.hot_period, config_.hot_limit);
}

Runtime::~Runtime() { Stop(); }

std::int64_t Runtime::NowMs() const { return ToUnixMs(config_.clock->WallNow()); }

Status Runtime::Start() {
  executor_ = std::make_unique<Executor>(config_.worker_threads);
  for (const auto& route : router_.routes()) {
    route->executor_class = executor_->AddClass(route->options.max_concurrency);
  }
  timers_ = std::make_unique<TimerQueue>(config_.clock);
  committer_ = std::make_unique<GroupCommitter>(
      store_, config_.max_batch,
      [this](std::size_t writes, std::chrono::nanoseconds elapsed, bool ok) {
        metrics_.commits.fetch_add(1, std::memory_order_relaxed);
        metrics_.committed_writes.fetch_add(ok ? writes : 0, std::memory_order_relaxed);
        if (!ok) metrics_.commit_failures.fetch_add(1, std::memory_order_relaxed);
        metrics_.commit_latency.Observe(elapsed);
      },
      config_.clock);
  retention_ =
      std::make_unique<Retention>(RetentionConfig{config_.purge_interval, config_.purge_batch},
                                  config_.clock, *committer_, metrics_, logger_);
  if (auto status = ClaimAtStart(); !status.ok()) return status;
  started_ = true;
  janitor_timer_ = timers_->After(std::chrono::milliseconds(1000), [this] { Janitor(); });
  LeaseTick();
  store_->SetWakeUp([this] { WakeUp(); });
  return Status();
}

void Runtime::Stop() {
  if (!executor_ || stopped_.exchange(true)) return;
  started_ = false;
  stopping_ = true;
  store_->SetWakeUp(nullptr);  // joins the store's listener: nothing calls WakeUp after this
  // Wake work sleeping in SleepFor.
  cache_->ForEach([](const std::shared_ptr<LiveOp>& op) {
    MutexLock lock(op->mutex);
    op->wake.notify_all();
  });
  if (!executor_->Stop(config_.shutdown_grace)) {
    logger_.Log(LogLevel::kWarning, "work still running after the shutdown grace period; waiting");
    executor_->Stop(std::chrono::hours(24 * 365));
  }
  timers_->Stop();
  ReleaseLeases();
  committer_->Stop();
  logger_.Log(LogLevel::kInfo, "operation runtime stopped",
              {{"unfinished", std::to_string(live_.load())}});
  // Break the LiveOp <-> callback cycles.
  cache_->Clear();
}

// ---- creation ---------------------------------------------------------------------------

void Runtime::Create(Route& route, const Request& request, Work work, std::string display_name,
                     std::optional<KeySpec> key, CreateCallback done) {
  if (stopping()) {
    done(CreateOutcome{CreateKind::kUnavailable, nullptr, false, "the server is shutting down"});
    return;
  }
  std::string map_key;
  if (key) {
    KeyDecision decision = ReserveKey(request.principal, *key);
    switch (decision.state) {
      case KeyState::kConflict:
        done(CreateOutcome{CreateKind::kKeyConflict, nullptr, false, {}});
        return;
      case KeyState::kInFlight:
        done(CreateOutcome{CreateKind::kKeyInFlight, nullptr, false, {}});
        return;
      case KeyState::kReplay: {
        auto found = Find(decision.operation_id, request.principal, true);
        if (!found.ok()) {
          done(CreateOutcome{CreateKind::kUnavailable, nullptr, false, found.status().message()});
        } else if (!*found) {
          done(CreateOutcome{CreateKind::kKeyGone, nullptr, true, {}});
        } else {
          const bool succeeded = (*found)->status == OperationStatus::kSucceeded;
          done(CreateOutcome{
              succeeded ? CreateKind::kFinished : CreateKind::kAccepted, *found, true, {}});
        }
        return;
      }
      case KeyState::kReserved:
        map_key = std::move(decision.map_key);
        break;
    }
  }

  auto op = std::make_shared<LiveOp>();
  op->id = NewOperationId();
  op->principal = request.principal;
  op->type = route.options.operation_type;
  op->display_name = std::move(display_name);
  op->route = &route;
  op->created_ms = NowMs();
  op->retry_after_s = route.retry_after_s;
  if (route.options.idempotent) op->request = EncodeRequest(request);
  if (key) {
    op->key = KeyRecord{
        request.principal, key->kind, key->key,
        key->fingerprint,  op->id,    op->created_ms + config_.idempotency_window.count()};
    op->key_map_key = map_key;
    MutexLock lock(keys_mutex_);
    if (auto it = keys_.find(map_key); it != keys_.end()) it->second.operation_id = op->id;
  }
  {
    MutexLock lock(op->mutex);  // not shared yet: for the analysis
    op->updated_ms = op->created_ms;
    op->answer = std::move(done);
    op->write_queued = true;
    op->attempts = 1;
  }
  cache_->Add(op);
  metrics_.operations_created.fetch_add(1, std::memory_order_relaxed);
  live_.fetch_add(1, std::memory_order_relaxed);

  if (!committer_->Submit([this, op] { return PrepareWrite(op); },
                          [this, op](const Status& status, const WriteOutcome& outcome) {
                            OnWriteDone(op, status, outcome);
                          })) {
    cache_->Erase(op);
    live_.fetch_sub(1, std::memory_order_relaxed);
    if (!map_key.empty()) ReleaseKey(map_key);
    CreateCallback answer;
    {
      MutexLock lock(op->mutex);
      answer = std::move(op->answer);
    }
    answer(CreateOutcome{CreateKind::kUnavailable, nullptr, false, "the server is shutting down"});
    return;
  }
  {
    MutexLock lock(op->mutex);
    if (config_.inline_budget.count() > 0) {
      op->budget_timer = timers_->After(config_.inline_budget, [this, op] {
        CreateCallback answer;
        CreateOutcome outcome;
        {
          MutexLock inner(op->mutex);
          op->budget_timer = 0;
          op->budget_expired = true;
          TakeAnswerLocked(*op, answer, outcome);
        }
        if (answer) answer(std::move(outcome));
      });
    } else {
      op->budget_expired = true;
    }
  }
  auto shared_work = std::make_shared<Work>(std::move(work));
  if (key) {
    MutexLock lock(op->mutex);
    if (!op->committed && !op->dead) {
      op->start_after_insert = std::move(shared_work);
      return;
    }
    if (op->dead) return;
  }
  executor_->Submit(route.executor_class, [this, op, shared_work] { RunStep(op, shared_work); });
}

// ---- writes ------------------------------------------------------------------------------

void Runtime::RequestWriteLocked(const std::shared_ptr<LiveOp>& op) LRO_REQUIRES(op->mutex) {
  if (op->write_queued || op->dead) return;
  op->write_queued = true;
  if (!committer_->Submit([this, op] { return PrepareWrite(op); },
                          [this, op](const Status& status, const WriteOutcome& outcome) {
                            OnWriteDone(op, status, outcome);
                          })) {
    op->write_queued = false;  // stopped: the operation stays as committed
  }
}

std::optional<StoreWrite> Runtime::PrepareWrite(const std::shared_ptr<LiveOp>& op) {
  MutexLock lock(op->mutex);
  op->write_queued = false;
  if (op->dead) return std::nullopt;
  StoreWrite write;
  write.kind = op->insert_prepared ? StoreWrite::Kind::kUpdate : StoreWrite::Kind::kInsert;
  write.expected_version = op->version;
  OperationRecord& r = write.record;
  r.id = op->id;
  r.owner = config_.replica_id;
  r.lease_expires_ms = NowMs() + config_.lease.count();
  r.next_run_ms = IsTerminal(op->status) ? std::nullopt : op->next_run_ms;
  if (op->released && !IsTerminal(op->status)) {
    // Handed over: any replica (this one restarted included) may claim it at once.
    r.owner.clear();
    r.lease_expires_ms.reset();
    r.next_run_ms.reset();
  }
  r.attempts = op->attempts;
  r.status = op->status;
  r.percent_complete = op->percent;
  r.updated_ms = op->updated_ms;
  r.expires_ms = op->expires_ms;
  r.error = op->error;
  r.has_result = op->has_result;
  if (op->result) {
    r.result_content_type = op->result->content_type;
    r.result = op->result->body;
  }
  if (!op->insert_prepared) {
    r.principal = op->principal;
    r.type = op->type;
    r.display_name = op->display_name;
    r.created_ms = op->created_ms;
    r.request = std::move(op->request);  // only the insert stores it; nothing reads it after
    write.key = op->key;
    op->insert_prepared = true;
  }

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->id = op->id;
  snapshot->type = op->type;
  snapshot->display_name = op->display_name;
  snapshot->status = op->status;
  snapshot->percent_complete = op->percent;
  snapshot->created_ms = op->created_ms;
  snapshot->updated_ms = op->updated_ms;
  snapshot->expires_ms = op->expires_ms;
  snapshot->error = op->error;
  snapshot->has_result = op->has_result;
  snapshot->result = op->result;
  snapshot->retry_after_s = op->retry_after_s;
  config_.render(*snapshot);
  op->prepared = std::move(snapshot);
  return write;
}

void Runtime::TakeAnswerLocked(LiveOp& op, CreateCallback& answer, CreateOutcome& outcome)
    LRO_REQUIRES(op.mutex) {
  if (!op.answer || !op.committed) return;
  const Snapshot& snapshot = *op.committed;
  if (snapshot.status == OperationStatus::kSucceeded && config_.inline_budget.count() > 0) {
    outcome.kind = CreateKind::kFinished;
  } else if (IsTerminal(snapshot.status) || op.budget_expired) {
    outcome.kind = CreateKind::kAccepted;
  } else {
    return;
  }
  outcome.snapshot = op.committed;
  answer = std::move(op.answer);
  op.answer = nullptr;
  if (op.budget_timer != 0) {
    timers_->Cancel(op.budget_timer);
    op.budget_timer = 0;
  }
  if (!op.key_map_key.empty()) MarkKeyAnswered(op.key_map_key);
}

void Runtime::OnWriteDone(const std::shared_ptr<LiveOp>& op, const Status& status,
                          const WriteOutcome& written) {
  CreateCallback answer;
  CreateOutcome outcome;
  bool newly_terminal = false;
  std::shared_ptr<const Snapshot> published;
  if (status.ok() && written.kind == WriteOutcome::Kind::kKeyTaken && written.key_holder) {
    AnswerFromKeyHolder(op, *written.key_holder);
    return;
  }
  if (status.ok() && written.kind == WriteOutcome::Kind::kConflict) {
    logger_.Log(LogLevel::kWarning,
                "another replica took this operation over; its write here "
                "was refused",
                {{"operationId", op->id}});
    Abandon(op);
    return;
  }
  if (!status.ok()) {
    bool was_insert = false;
    {
      MutexLock lock(op->mutex);
      op->prepared.reset();
      if (!op->committed) {
        // The insert failed: the operation never existed for anyone.
        was_insert = true;
        op->dead = true;
        op->cancel_requested = true;
        op->wake.notify_all();
        answer = std::move(op->answer);
        op->answer = nullptr;
        if (op->budget_timer != 0) timers_->Cancel(op->budget_timer);
        if (op->continuation_timer != 0) timers_->Cancel(op->continuation_timer);
      }
    }
    logger_.Log(LogLevel::kError, "store write failed",
                {{"operationId", op->id}, {"error", status.message()}});
    if (was_insert) {
      if (!op->key_map_key.empty()) ReleaseKey(op->key_map_key);
      cache_->Erase(op);
      live_.fetch_sub(1, std::memory_order_relaxed);
      if (answer) {
        answer(CreateOutcome{CreateKind::kUnavailable, nullptr, false, status.message()});
      }
    } else {
      // Try again later; readers keep seeing the last committed state meanwhile.
      timers_->After(std::chrono::seconds(1), [this, op] {
        MutexLock lock(op->mutex);
        RequestWriteLocked(op);
      });
    }
    return;
  }
  {
    MutexLock lock(op->mutex);
    if (!op->prepared) return;  // nothing was written
    op->version = written.version;
    op->committed = std::move(op->prepared);
    published = op->committed;
    if (op->start_after_insert && op->route != nullptr) {
      executor_->Submit(
          op->route->executor_class,
          [this, op, work = std::move(op->start_after_insert)] { RunStep(op, work); });
      op->start_after_insert.reset();
    }
    if (IsTerminal(op->committed->status) && !op->terminal_published) {
      op->terminal_published = true;
      newly_terminal = true;
    }
    TakeAnswerLocked(*op, answer, outcome);
  }
  if (config_.on_commit) config_.on_commit(op->principal, published);
  if (newly_terminal) {
    const auto& snapshot = *published;
    metrics_.operations_finished[static_cast<std::size_t>(snapshot.status)].fetch_add(
        1, std::memory_order_relaxed);
    metrics_.operation_duration.Observe(
        static_cast<double>(snapshot.updated_ms - snapshot.created_ms) / 1000.0);
    live_.fetch_sub(1, std::memory_order_relaxed);
    cache_->KeepHot(op);
    if (logger_.Enabled(LogLevel::kDebug)) {
      logger_.Log(LogLevel::kDebug, "operation finished",
                  {{"operationId", op->id}, {"status", OperationStatusName(snapshot.status)}});
    }
  }
  if (answer) {
    if (outcome.kind == CreateKind::kFinished) {
      metrics_.operations_answered_inline.fetch_add(1, std::memory_order_relaxed);
    }
    answer(std::move(outcome));
  }
}

// ---- work --------------------------------------------------------------------------------

void Runtime::RunStep(const std::shared_ptr<LiveOp>& op, const std::shared_ptr<Work>& work) {
  {
    MutexLock lock(op->mutex);
    if (op->dead || IsTerminal(op->status) || stopping()) return;
    op->next_run_ms.reset();
    if (op->status == OperationStatus::kNotStarted) {
      op->status = OperationStatus::kRunning;
      op->updated_ms = NowMs();
      RequestWriteLocked(op);
    }
  }
  OperationContext context(*this, op);
  OnStepResult(op, InvokeWork(*work, context));
}

void Runtime::OnStepResult(const std::shared_ptr<LiveOp>& op, const WorkResult& result) {
  MutexLock lock(op->mutex);
  if (op->dead || IsTerminal(op->status)) return;
  switch (result.kind()) {
    case WorkResult::Kind::kContinue: {
      if (stopping()) return;  // kept for the next start
      const auto delay = op->cancel_requested ? std::chrono::milliseconds(0) : result.delay();
      // Stored with the next write this operation makes anyway (progress, a heartbeat does not).
      if (delay.count() > 0) op->next_run_ms = NowMs() + delay.count();
      op->continuation = result.next();
      op->continuation_timer = timers_->After(delay, [this, op] {
        std::shared_ptr<Work> next;
        {
          MutexLock inner(op->mutex);
          op->continuation_timer = 0;
          next = std::move(op->continuation);
        }
        if (next && op->route != nullptr) {
          executor_->Submit(op->route->executor_class, [this, op, next] { RunStep(op, next); });
        }
      });
      return;
    }
    case WorkResult::Kind::kCanceled:
      if (stopping() && !op->cancel_requested) return;  // interrupted by shutdown: kept
      FinishLocked(*op, OperationStatus::kCanceled, CanceledError(), nullptr);
      break;
    case WorkResult::Kind::kError: {
      ErrorInfo error = result.error();
      if (error.error_code.empty()) error.error_code = "OperationFailed";
      FinishLocked(*op, OperationStatus::kFailed, std::move(error), nullptr);
      break;
    }
    case WorkResult::Kind::kNoResult:
      FinishLocked(*op, OperationStatus::kSucceeded, std::nullopt, nullptr);
      break;
    case WorkResult::Kind::kResult:
      FinishLocked(
          *op, OperationStatus::kSucceeded, std::nullopt,
          std::make_shared<const ResultData>(ResultData{result.content_type(), result.body()}));
      break;
  }
  RequestWriteLocked(op);
}

bool Runtime::FinishLocked(LiveOp& op, OperationStatus status, std::optional<ErrorInfo> error,
                           std::shared_ptr<const ResultData> result) LRO_REQUIRES(op.mutex) {
  if (op.dead || IsTerminal(op.status)) return false;
  op.status = status;
  op.updated_ms = NowMs();
  if (status == OperationStatus::kSucceeded) op.percent = 100;
  op.expires_ms = op.updated_ms + config_.retention.count();
  op.error = std::move(error);
  op.has_result = result != nullptr;
  op.result = std::move(result);
  if (op.progress_timer != 0) {
    timers_->Cancel(op.progress_timer);
    op.progress_timer = 0;
  }
  op.wake.notify_all();
  return true;
}

void Runtime::ReportProgress(const std::shared_ptr<LiveOp>& op, int percent) {
  percent = std::clamp(percent, 0, 100);
  MutexLock lock(op->mutex);
  if (op->dead || IsTerminal(op->status)) return;
  if (op->percent && percent <= *op->percent) return;
  op->percent = percent;
  op->updated_ms = NowMs();
  if (op->progress_timer != 0) return;  // a write is already scheduled; it takes the latest
  const MonotonicTime now = config_.clock->Now();
  if (now - op->progress_written_at >= config_.progress_debounce) {
    op->progress_written_at = now;
    RequestWriteLocked(op);
    return;
  }
  op->progress_timer = timers_->At(op->progress_written_at + config_.progress_debounce, [this, op] {
    MutexLock inner(op->mutex);
    op->progress_timer = 0;
    op->progress_written_at = config_.clock->Now();
    RequestWriteLocked(op);
  });
}

// ---- reads -------------------------------------------------------------------------------

bool Runtime::Expired(const Snapshot& snapshot) const {
  return snapshot.expires_ms && *snapshot.expires_ms <= NowMs();
}

int Runtime::RetryAfterFor(std::string_view type) const {
  if (const Route* route = router_.ByType(type)) return route->retry_after_s;
  return 1;
}

std::shared_ptr<Snapshot> Runtime::SnapshotFromRecord(const OperationRecord& record) const {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->id = record.id;
  snapshot->type = record.type;
  snapshot->display_name = record.display_name;
  snapshot->status = record.status;
  snapshot->percent_complete = record.percent_complete;
  snapshot->created_ms = record.created_ms;
  snapshot->updated_ms = record.updated_ms;
  snapshot->expires_ms = record.expires_ms;
  snapshot->error = record.error;
  snapshot->has_result = record.has_result;
  if (record.has_result && !record.result.empty()) {
    snapshot->result =
        std::make_shared<const ResultData>(ResultData{record.result_content_type, record.result});
  }
  snapshot->retry_after_s = RetryAfterFor(record.type);
  config_.render(*snapshot);
  return snapshot;
}

StatusOr<std::shared_ptr<const Snapshot>> Runtime::Find(std::string_view id,
                                                        std::string_view principal,
                                                        bool with_result) {
  const std::shared_ptr<const Snapshot> none;
  if (!IsCanonicalUuid(id)) return none;
  if (auto op = cache_->Find(id)) {
    std::shared_ptr<const Snapshot> snapshot;
    {
      MutexLock lock(op->mutex);
      snapshot = op->committed;
    }
    if (!snapshot || op->principal != principal || Expired(*snapshot)) return none;
    if (!with_result || !snapshot->has_result || snapshot->result) return snapshot;
  }
  // Not in memory (finished a while ago, or before a restart), or its result was not loaded.
  const bool load_result = with_result || config_.state_carries_result;
  auto record = store_->Get(id, load_result);
  if (!record.ok()) return record.status();
  if (!*record || (*record)->principal != principal) return none;
  std::shared_ptr<Snapshot> snapshot = SnapshotFromRecord(**record);
  if (Expired(*snapshot)) return none;
  if (snapshot->has_result && !snapshot->result && load_result) {
    snapshot->result = std::make_shared<const ResultData>(
        ResultData{(*record)->result_content_type, std::string()});
  }
  if (IsTerminal(snapshot->status)) {
    // Keep it hot for the polls that usually follow.
    auto op = std::make_shared<LiveOp>();
    op->id = snapshot->id;
    op->principal = (*record)->principal;
    op->type = snapshot->type;
    {
      MutexLock lock(op->mutex);  // not shared yet: for the analysis
      op->status = snapshot->status;
      op->insert_prepared = true;
      op->terminal_published = true;
      op->committed = snapshot;
    }
    if (cache_->Add(op)) cache_->KeepHot(op);
  }
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

StatusOr<std::shared_ptr<const Snapshot>> Runtime::Cancel(std::string_view id,
                                                          std::string_view principal) {
  const std::shared_ptr<const Snapshot> none;
  if (!IsCanonicalUuid(id)) return none;
  auto op = cache_->Find(id);
  std::shared_ptr<const Snapshot> snapshot;
  bool local = false;
  bool persist = false;
  TimerQueue::Id wake = 0;
  if (op) {
    MutexLock lock(op->mutex);
    snapshot = op->committed;
    if (!snapshot || op->principal != principal || Expired(*snapshot)) return none;
    if (!op->dead && (IsTerminal(op->status) || op->route != nullptr)) {
      local = true;  // running here, or finished
      if (!IsTerminal(op->status) && !op->cancel_requested) {
        wake = RequestCancelLocked(op);
        // Persisted too: should this replica die, whoever takes the operation over cancels it.
        persist = !IsTerminal(op->status);
      }
    }
  }
  if (!local) {
    // Running on another replica (or not known here): the request goes through the store, and
    // its owner honours it at its next heartbeat.
    auto found = Find(id, principal, false);
    if (!found.ok() || !*found) return found;
    snapshot = *found;
    if (!IsTerminal(snapshot->status)) {
      auto recorded = store_->RequestCancel(id);
      if (!recorded.ok()) return recorded.status();
      if (logger_.Enabled(LogLevel::kDebug)) {
        logger_.Log(LogLevel::kDebug, "cancel requested for a peer's operation",
                    {{"operationId", std::string(id)}});
      }
    }
    return snapshot;
  }
  if (wake != 0) timers_->RunNow(wake);
  if (persist) {
    if (auto recorded = store_->RequestCancel(id); !recorded.ok()) {
      logger_.Log(LogLevel::kWarning, "could not store a cancel request",
                  {{"operationId", std::string(id)}, {"error", recorded.status().message()}});
    }
  }
  return snapshot;
}

TimerQueue::Id Runtime::RequestCancelLocked(const std::shared_ptr<LiveOp>& op)
    LRO_REQUIRES(op->mutex) {
  op->cancel_requested = true;
  op->wake.notify_all();
  TimerQueue::Id wake = 0;
  if (op->status == OperationStatus::kNotStarted) {
    // Its work has not started: it never will.
    FinishLocked(*op, OperationStatus::kCanceled, CanceledError(), nullptr);
    RequestWriteLocked(op);
  } else {
    wake = op->continuation_timer;
  }
  if (logger_.Enabled(LogLevel::kDebug)) {
    logger_.Log(LogLevel::kDebug, "cancel requested", {{"operationId", op->id}});
  }
  return wake;
}

StatusOr<ListPage> Runtime::List(ListQuery query) {
  query.now_ms = NowMs();
  return store_->List(query);
}

// ---- recovery and retention --------------------------------------------------------------

std::size_t Runtime::PurgeExpired() { return retention_->PurgeNow(); }

void Runtime::Janitor() {
  if (stopping()) return;
  cache_->CoolDown();
  ForgetOldKeys();
  retention_->Tick();
  janitor_timer_ = timers_->After(std::chrono::milliseconds(1000), [this] { Janitor(); });
}

Runtime::Gauges Runtime::ReadGauges() {
  Gauges gauges;
  gauges.operations_active = live_.load();
  gauges.executor_queued = executor_->queued();
  gauges.executor_running = executor_->running();
  gauges.writer_queued = committer_->queue_depth();
  gauges.operations_cached = cache_->size();
  if (auto counts = store_->CountByStatus(); counts.ok()) {
    gauges.stored_by_status.assign(counts->begin(), counts->end());
  }
  return gauges;
}

}  // namespace lro::server::internal
