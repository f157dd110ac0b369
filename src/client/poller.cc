#include "lro/poller.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "client/deadline_watchdog.h"

namespace lro {

// Two locks: operation_mutex serializes calls into the Operation (which is not thread-safe)
// and is never held while sleeping; snapshot_mutex guards the copies that State(), IsDone()
// and Outcome() read, so those never wait for a request in flight.
struct Poller::Impl {
  std::unique_ptr<Operation> operation;
  std::shared_ptr<Clock> clock;
  CancellationSource stop;

  std::mutex operation_mutex;

  mutable std::mutex snapshot_mutex;
  OperationState state;
  bool done = false;
  std::vector<ProgressCallback> callbacks;

  // Copies the operation's state; runs the callbacks when it changed.
  // REQUIRES: operation_mutex held.
  void Publish() {
    std::vector<ProgressCallback> to_call;
    OperationState published;
    {
      std::lock_guard lock(snapshot_mutex);
      const bool changed = state != operation->state() || done != operation->done();
      state = operation->state();
      done = operation->done();
      if (changed) to_call = callbacks;
      published = state;
    }
    for (const auto& callback : to_call) callback(published);
  }

  Status PollLocked(const CancellationToken& cancel) {
    if (operation->done()) return Status();
    Status status = operation->Poll(cancel);
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
}

Poller::Poller(Poller&&) noexcept = default;
Poller& Poller::operator=(Poller&&) noexcept = default;
Poller::~Poller() = default;

bool Poller::IsDone() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->done;
}

OperationState Poller::State() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->state;
}

StatusOr<Result> Poller::Outcome() const {
  std::lock_guard lock(impl_->operation_mutex);
  return impl_->operation->outcome();
}

Status Poller::Poll(const CancellationToken& cancel) {
  CancellationSource linked;
  auto on_caller = cancel.OnCancel([linked] { linked.Cancel(); });
  auto on_stop = impl_->stop.token().OnCancel([linked] { linked.Cancel(); });
  std::lock_guard lock(impl_->operation_mutex);
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
    MonotonicTime next;
    {
      std::lock_guard lock(impl_->operation_mutex);
      if (impl_->operation->done()) return impl_->operation->outcome();
      next = impl_->operation->next_poll_at();
    }
    if (next > deadline) {
      if (!clock.SleepUntil(deadline, token)) return interrupted();
      return deadline_exceeded();
    }
    if (next > clock.Now() && !clock.SleepUntil(next, token)) {
      return interrupted();
    }
    std::lock_guard lock(impl_->operation_mutex);
    const Status status = impl_->PollLocked(token);
    if (status.code() == StatusCode::kCancelled) return interrupted();
    if (impl_->operation->done()) return impl_->operation->outcome();
    if (clock.Now() >= deadline) return deadline_exceeded();
  }
}

void Poller::Stop() { impl_->stop.Cancel(); }

Status Poller::Cancel(const CancellationToken& cancel) {
  std::lock_guard lock(impl_->operation_mutex);
  Status status = impl_->operation->Cancel(cancel);
  impl_->Publish();
  return status;
}

StatusOr<std::string> Poller::ResumeToken() const {
  std::lock_guard lock(impl_->operation_mutex);
  return impl_->operation->ResumeToken();
}

void Poller::OnProgress(ProgressCallback callback) {
  std::lock_guard lock(impl_->snapshot_mutex);
  impl_->callbacks.push_back(std::move(callback));
}

}  // namespace lro
