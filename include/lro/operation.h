// An operation: the state of one long-running operation and how to advance, cancel and
// serialize it. lro's HTTP operation implements it; so can yours, for work that is not HTTP,
// and the same Poller drives both.
#pragma once

#include <string>
#include <string_view>

#include "lro/cancellation.h"
#include "lro/clock.h"
#include "lro/operation_state.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro {

// Not thread-safe: the Poller serializes every call.
class Operation {
 public:
  Operation() = default;
  Operation(const Operation&) = default;
  Operation& operator=(const Operation&) = default;
  Operation(Operation&&) = default;
  Operation& operator=(Operation&&) = default;
  virtual ~Operation() = default;

  // Advances the operation by one step now (for HTTP: one poll, plus the final GET when the
  // poll finds the operation finished). Returns OK when the step read an answer. Returns
  // kUnavailable, with the state unchanged and !done(), when the step only hit a transient
  // failure and scheduled a retry at next_poll_at(): the message names the cause. Returns
  // kCancelled, with the state unchanged, when `cancel` fired first. Any other error (or
  // kUnavailable once done()) means polling failed for good: outcome() returns that error.
  // REQUIRES: !done().
  virtual Status Poll(const CancellationToken& cancel) = 0;

  // One step of an automatic wait (Poller::Wait): as Poll(), except that the service may hold
  // the request until the state changes (an HTTP operation asks `Prefer: wait`, see
  // PollingPolicy::prefer_wait); `cancel` ends it. Defaults to Poll().
  virtual Status WaitStep(const CancellationToken& cancel) { return Poll(cancel); }

  // When the next Poll() should run (Retry-After, the polling policy or a retry backoff).
  // Meaningless once done().
  [[nodiscard]] virtual MonotonicTime next_poll_at() const = 0;

  // True once the operation reached a terminal state and its result (if any) is in hand,
  // or polling failed for good.
  [[nodiscard]] virtual bool done() const = 0;

  // The latest state the service reported.
  [[nodiscard]] virtual const OperationState& state() const = 0;

  // Once done: the result, or why there is none — kOperationFailed (with the service
  // error), kOperationCanceled, or a polling failure. kFailedPrecondition before done.
  [[nodiscard]] virtual StatusOr<Result> outcome() const = 0;

  // Asks the service to cancel (best effort). OK when the request was accepted or the
  // operation had already finished; kFailedPrecondition when the service has no cancel.
  // Polling continues afterwards until the service reports a terminal state.
  virtual Status Cancel(const CancellationToken& cancel) = 0;

  // A token from which the operation can be rebuilt in another process: versioned JSON
  // `{"lro":"resume-token","version":V,"kind":K,…}`. Never holds a credential.
  [[nodiscard]] virtual StatusOr<std::string> ResumeToken() const = 0;

  // Who the operation is, for display and logs; empty when unknown (the defaults).
  // The id the service gave it (an HTTP operation: x-ms-operation-id, a Google operation's
  // name, a status monitor's `id`).
  [[nodiscard]] virtual std::string id() const { return {}; }
  // Where it is polled (an HTTP operation: the status monitor's URL).
  [[nodiscard]] virtual std::string monitor_url() const { return {}; }
  // How it is polled (an HTTP operation: "fabric", "operation-location",
  // "azure-async-operation", "location", "body", "google"; "none" when it finished at once).
  [[nodiscard]] virtual std::string polling_mode() const { return {}; }
};

}  // namespace lro
