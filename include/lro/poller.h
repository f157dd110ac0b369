// Pollers: what drives an operation to its end.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lro/cancellation.h"
#include "lro/clock.h"
#include "lro/operation.h"
#include "lro/operation_state.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro {

using ProgressCallback = std::function<void(const OperationState& state)>;

struct WaitOptions {
  // Give up locally after this long (kDeadlineExceeded); the operation goes on.
  std::optional<std::chrono::milliseconds> timeout;
  // End the wait at once, in-flight request included (kCancelled); the operation goes on
  // and a later Wait with another token carries on where this one stopped.
  CancellationToken cancel;
};

// The interface of every poller: lro::Poller, pollers of other implementations, and the test
// doubles of lro::testing. Code that waits on an operation should take a PollerLike& so it
// can be unit-tested without a server.
class PollerLike {
 public:
  PollerLike() = default;
  PollerLike(const PollerLike&) = default;
  PollerLike& operator=(const PollerLike&) = default;
  PollerLike(PollerLike&&) = default;
  PollerLike& operator=(PollerLike&&) = default;
  virtual ~PollerLike() = default;

  // True once the operation is finished (succeeded, failed, canceled) or polling failed.
  [[nodiscard]] virtual bool IsDone() const = 0;
  // The latest state the service reported.
  [[nodiscard]] virtual OperationState State() const = 0;
  // Once done: the result or why there is none; kFailedPrecondition before.
  [[nodiscard]] virtual StatusOr<Result> Outcome() const = 0;

  // One step now, whatever delay the server asked for. A no-op returning OK once done.
  // OK when the step read a state; kUnavailable naming the cause when it only hit a transient
  // failure and scheduled a retry (IsDone() false, State() as it was); see Operation::Poll.
  virtual Status Poll(const CancellationToken& cancel = {}) = 0;
  // Polls, honouring every delay, until done, then returns Outcome(); or returns early with
  // kDeadlineExceeded, kCancelled or kStopped, leaving the operation as it was.
  virtual StatusOr<Result> Wait(const WaitOptions& options = {}) = 0;
  // Stops polling locally: a running Wait returns kStopped at once, and so do later ones.
  // The operation goes on server-side; ResumeToken() still works.
  virtual void Stop() = 0;
  // Asks the service to cancel (see Operation::Cancel); Wait then reports the end.
  virtual Status Cancel(const CancellationToken& cancel = {}) = 0;
  // See Operation::ResumeToken.
  [[nodiscard]] virtual StatusOr<std::string> ResumeToken() const = 0;
  // Adds a callback run after every poll that brought a state (same thread as the poll).
  virtual void OnProgress(ProgressCallback callback) = 0;
};

// Drives any Operation with a Clock. Thread-safe: Poll, Wait and Cancel are serialized; State,
// IsDone, Stop and ResumeToken may be called from any thread at any time, e.g. to Stop a
// Wait running on another thread.
class Poller final : public PollerLike {
 public:
  Poller(std::unique_ptr<Operation> operation, std::shared_ptr<Clock> clock);
  Poller(Poller&&) noexcept;
  Poller& operator=(Poller&&) noexcept;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller() override;

  [[nodiscard]] bool IsDone() const override;
  [[nodiscard]] OperationState State() const override;
  [[nodiscard]] StatusOr<Result> Outcome() const override;
  Status Poll(const CancellationToken& cancel = {}) override;
  StatusOr<Result> Wait(const WaitOptions& options = {}) override;
  void Stop() override;
  Status Cancel(const CancellationToken& cancel = {}) override;
  [[nodiscard]] StatusOr<std::string> ResumeToken() const override;
  void OnProgress(ProgressCallback callback) override;

  // Who the operation is (see Operation::id, monitor_url, polling_mode), as of the last step;
  // empty when unknown. Never wait for a request in flight.
  [[nodiscard]] std::string OperationId() const;
  [[nodiscard]] std::string MonitorUrl() const;
  [[nodiscard]] std::string PollingModeName() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lro
