// A PollerLike double for unit-testing code that waits on operations, without a server.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "lro/poller.h"

namespace lro::testing {

// Plays a scripted series of states: each Poll() moves to the next state and calls the
// progress callbacks; Wait() plays them all (without sleeping) and returns the outcome.
// The poller is done after the last state. Thread-safe.
class FakePoller final : public PollerLike {
 public:
  // `states` must not be empty; `outcome` is what Wait/Outcome return once done.
  FakePoller(std::vector<OperationState> states, StatusOr<Result> outcome,
             std::string resume_token = R"({"lro":"resume-token","version":1,"kind":"fake"})");

  [[nodiscard]] bool IsDone() const override;
  [[nodiscard]] OperationState State() const override;
  [[nodiscard]] StatusOr<Result> Outcome() const override;
  Status Poll(const CancellationToken& cancel = {}) override;
  StatusOr<Result> Wait(const WaitOptions& options = {}) override;
  void Stop() override;
  Status Cancel(const CancellationToken& cancel = {}) override;
  [[nodiscard]] StatusOr<std::string> ResumeToken() const override;
  void OnProgress(ProgressCallback callback) override;

  // Observations for assertions.
  int poll_count() const;
  bool cancel_requested() const;
  bool stopped() const;

 private:
  // Guards the members below. A plain std::mutex, outside clang's thread-safety analysis: a
  // public header, which cannot include the annotations of src/wire/thread_safety.h.
  mutable std::mutex mutex_;
  std::vector<OperationState> states_;
  std::size_t index_ = 0;
  StatusOr<Result> outcome_;
  std::string resume_token_;
  std::vector<ProgressCallback> callbacks_;
  int poll_count_ = 0;
  bool cancel_requested_ = false;
  bool stopped_ = false;
};

}  // namespace lro::testing
