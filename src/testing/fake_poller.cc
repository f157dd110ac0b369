#include "lro/testing/fake_poller.h"

namespace lro::testing {

FakePoller::FakePoller(std::vector<OperationState> states, StatusOr<Result> outcome,
                       std::string resume_token)
    : states_(std::move(states)),
      outcome_(std::move(outcome)),
      resume_token_(std::move(resume_token)) {
  if (states_.empty()) states_.emplace_back();
}

bool FakePoller::IsDone() const {
  std::lock_guard lock(mutex_);
  return index_ + 1 >= states_.size();
}

OperationState FakePoller::State() const {
  std::lock_guard lock(mutex_);
  return states_[index_];
}

StatusOr<Result> FakePoller::Outcome() const {
  std::lock_guard lock(mutex_);
  if (index_ + 1 < states_.size()) {
    return Status(StatusCode::kFailedPrecondition, "the operation is not done");
  }
  return outcome_;
}

Status FakePoller::Poll(const CancellationToken& cancel) {
  std::vector<ProgressCallback> callbacks;
  OperationState state;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return Status(StatusCode::kStopped, "polling was stopped");
    if (cancel.cancelled()) return Status(StatusCode::kCancelled, "cancelled");
    if (index_ + 1 >= states_.size()) return Status();
    ++index_;
    ++poll_count_;
    callbacks = callbacks_;
    state = states_[index_];
  }
  for (const auto& callback : callbacks) callback(state);
  return Status();
}

StatusOr<Result> FakePoller::Wait(const WaitOptions& options) {
  while (!IsDone()) {
    if (Status status = Poll(options.cancel); !status.ok()) return status;
  }
  return Outcome();
}

void FakePoller::Stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
}

Status FakePoller::Cancel(const CancellationToken& /*cancel*/) {
  std::lock_guard lock(mutex_);
  cancel_requested_ = true;
  return Status();
}

StatusOr<std::string> FakePoller::ResumeToken() const {
  std::lock_guard lock(mutex_);
  return resume_token_;
}

void FakePoller::OnProgress(ProgressCallback callback) {
  std::lock_guard lock(mutex_);
  callbacks_.push_back(std::move(callback));
}

int FakePoller::poll_count() const {
  std::lock_guard lock(mutex_);
  return poll_count_;
}

bool FakePoller::cancel_requested() const {
  std::lock_guard lock(mutex_);
  return cancel_requested_;
}

bool FakePoller::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

}  // namespace lro::testing
