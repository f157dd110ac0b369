#include "lro/poller.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "client/faces/deadline_watchdog.h"
#include "wire/thread_safety.h"

namespace lro {

// Two locks: operation_mutex serializes calls into the Operation (which is not thread-safe)
// and is never held while sleeping; snapshot_mutex guards the copies that State(), IsDone()
// and Outcome() read, so those never wait for a request in flight.
struct Poller::Impl {
  Mutex operation_mutex;
  std::unique_ptr<Operation> operation LRO_PT_GUARDED_BY(operation_mutex);
  std::shared_ptr<Clock> clock;
  CancellationSource stop;

  mutable Mutex snapshot_mutex;
  OperationState state LRO_GUARDED_BY(snapshot_mutex);
  bool done LRO_GUARDED_BY(snapshot_mutex) = false;
  std::optional<StatusOr<Result>> outcome LRO_GUARDED_BY(snapshot_mutex);  // once done
  std::string id LRO_GUARDED_BY(snapshot_mutex);
  std::string monitor_url LRO_GUARDED_BY(snapshot_mutex);
  std::string polling_mode LRO_GUARDED_BY(snapshot_mutex);
  StatusOr<std::string> resume_token LRO_GUARDED_BY(snapshot_mutex) = std::string();
  std::vector<ProgressCallback> callbacks LRO_GUARDED_BY(snapshot_mutex);

  // Fired by Cancel(), before and after it cancels, to get a Wait out of its way: a poll the
  // service holds (Prefer: wait) until the operation changes, which only the cancel would
  // bring, is ended (and sent again); a sleep towards a poll time that the accepted cancel moved
  // earlier is woken. Replaced by a fresh source each time it fires.
  Mutex wake_mutex;
  CancellationSource wake LRO_GUARDED_BY(wake_mutex);
  // Cancel() calls under way: meanwhile a Wait's poll does not ask to be held.
  std::atomic<int> cancels_pending{0};

  CancellationToken WakeToken() {
    MutexLock lock(wake_mutex);
    return wake.token();
  }
  void WakeWaiters() {
    CancellationSource fired;
    {
      MutexLock lock(wake_mutex);
      fired = wake;
      wake = CancellationSource();
    }
    fired.Cancel();
  }

  // Copies what the accessors read besides the state (the poller's constructor too, before the
  // poller is shared).
  void CopySnapshot() LRO_REQUIRES(snapshot_mutex, operation_mutex) {
    if (done && !outcome) outcome = operation->outcome();
    id = operation->id();
    monitor_url = operation->monitor_url();
    polling_mode = operation->polling_mode();
    resume_token = operation->ResumeToken();
  }

  // Copies the operation's state; runs the callbacks when it changed.
  void Publish() LRO_REQUIRES(operation_mutex) {
    std::vector<ProgressCallback> to_call;
    OperationState published;
    {
      MutexLock lock(snapshot_mutex);
      const bool changed = state != operation->state() || done != operation->done();
      state = operation->state();
      done = operation->done();
      CopySnapshot();
      if (changed) to_call = callbacks;
      published = state;
    }
    for (const auto& callback : to_call) callback(published);
  }

  // One step: a manual Poll(), or a step of Wait() that the service may hold.
  Status PollLocked(const CancellationToken& cancel, bool waiting = false)
      LRO_REQUIRES(operation_mutex) {
    if (operation->done()) return Status();
    Status status = waiting ? operation->WaitStep(cancel) : operation->Poll(cancel);
    Publish();
    return status;
  }

  Status Interrupted(const CancellationToken& caller) const {
    if (stop.cancelled()) return Status(StatusCode::kStopped, "polling was stopped");
    if (caller.cancelled()) return Status(StatusCode::kCancelled, "the wait was cancelled");
    return Status(StatusCode::kCancelled, "the wait was cancelled");
  }
};

Poller::Poller(std::unique_ptr<Operation> operation, std::shared_ptr<Clock> clock)
    : impl_(std::make_unique<Impl>()) {
  impl_->operation = std::move(operation);
  impl_->clock = clock ? std::move(clock) : SystemClock();
  impl_->state = impl_->operation->state();
  impl_->done = impl_->operation->done();
  impl_->CopySnapshot();
}

Poller::Poller(Poller&&) noexcept = default;
Poller& Poller::operator=(Poller&&) noexcept = default;
Poller::~Poller() = default;

bool Poller::IsDone() const {
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->done;
}

OperationState Poller::State() const {
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->state;
}

StatusOr<Result> Poller::Outcome() const {
  // From the snapshot: never waits for a request in flight.
  MutexLock lock(impl_->snapshot_mutex);
  if (impl_->outcome) return *impl_->outcome;
  return Status(StatusCode::kFailedPrecondition, "the operation is not done");
}

Status Poller::Poll(const CancellationToken& cancel) {
  CancellationSource linked;
  auto on_caller = cancel.OnCancel([linked] { linked.Cancel(); });
  auto on_stop = impl_->stop.token().OnCancel([linked] { linked.Cancel(); });
  MutexLock lock(impl_->operation_mutex);
  Status status = impl_->PollLocked(linked.token());
  if (status.code() == StatusCode::kCancelled) return impl_->Interrupted(cancel);
  return status;
}

StatusOr<Result> Poller::Wait(const WaitOptions& options) {
  Clock& clock = *impl_->clock;
  const MonotonicTime deadline =
      options.timeout ? clock.Now() + *options.timeout : MonotonicTime::max();
  // One token that fires on the caller's cancellation or on Stop().
  CancellationSource linked;
  auto on_caller = options.cancel.OnCancel([linked] { linked.Cancel(); });
  auto on_stop = impl_->stop.token().OnCancel([linked] { linked.Cancel(); });
  const CancellationToken token = linked.token();
  // On the real clock, the deadline also ends a request in flight. (A test's fake clock moves
  // only when slept on, so there the deadline is checked between steps.)
  std::optional<internal::ScopedDeadline> watchdog;
  const bool real_clock = impl_->clock == SystemClock();
  if (options.timeout && real_clock) {
    watchdog.emplace(std::chrono::steady_clock::now() + *options.timeout,
                     [linked] { linked.Cancel(); });
  }
  auto deadline_exceeded = [] {
    return Status(StatusCode::kDeadlineExceeded,
                  "the local deadline passed before the operation finished");
  };
  auto interrupted = [&]() -> Status {
    if (!impl_->stop.cancelled() && !options.cancel.cancelled() && clock.Now() >= deadline) {
      return deadline_exceeded();
    }
    return impl_->Interrupted(options.cancel);
  };

  while (true) {
    if (token.cancelled()) return interrupted();
    // Taken before the poll time is read, so that a Cancel() moving it earlier in between
    // wakes this sleep rather than a later one.
    const CancellationToken wake = impl_->WakeToken();
    MonotonicTime next;
    {
      MutexLock lock(impl_->operation_mutex);
      if (impl_->operation->done()) return impl_->operation->outcome();
      next = impl_->operation->next_poll_at();
    }
    const MonotonicTime until = std::min(next, deadline);
    if (until > clock.Now()) {
      CancellationSource sleep;
      auto on_token = token.OnCancel([sleep] { sleep.Cancel(); });
      auto on_wake = wake.OnCancel([sleep] { sleep.Cancel(); });
      if (!clock.SleepUntil(until, sleep.token())) {
        if (token.cancelled()) return interrupted();
        continue;  // woken by Cancel(): read the poll time again
      }
    }
    if (next > deadline) return deadline_exceeded();
    MutexLock lock(impl_->operation_mutex);
    CancellationSource step;
    auto on_token = token.OnCancel([step] { step.Cancel(); });
    auto on_wake = wake.OnCancel([step] { step.Cancel(); });
    const Status status =
        impl_->PollLocked(step.token(), /*waiting=*/impl_->cancels_pending.load() == 0);
    if (status.code() == StatusCode::kCancelled) {
      if (token.cancelled()) return interrupted();
      continue;  // ended by Cancel(): sent again once it is through
    }
    if (impl_->operation->done()) return impl_->operation->outcome();
    if (clock.Now() >= deadline) return deadline_exceeded();
  }
}

void Poller::Stop() { impl_->stop.Cancel(); }

Status Poller::Cancel(const CancellationToken& cancel) {
  impl_->cancels_pending.fetch_add(1);
  impl_->WakeWaiters();  // ends a poll held by the service, which would hold the lock
  Status status;
  {
    MutexLock lock(impl_->operation_mutex);
    status = impl_->operation->Cancel(cancel);
    impl_->Publish();
  }
  impl_->cancels_pending.fetch_sub(1);
  impl_->WakeWaiters();  // the cancel moved the next poll earlier
  return status;
}

StatusOr<std::string> Poller::ResumeToken() const {
  // From the snapshot: never waits for a request in flight (a poll lrod holds for 30 s).
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->resume_token;
}

std::string Poller::OperationId() const {
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->id;
}

std::string Poller::MonitorUrl() const {
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->monitor_url;
}

std::string Poller::PollingModeName() const {
  MutexLock lock(impl_->snapshot_mutex);
  return impl_->polling_mode;
}

void Poller::OnProgress(ProgressCallback callback) {
  MutexLock lock(impl_->snapshot_mutex);
  impl_->callbacks.push_back(std::move(callback));
}

}  // namespace lro
