// The engine: one event loop (Asio + libcurl's multi interface + one timer heap) that drives
// any number of operations without a thread or a blocking sleep each. An operation waiting
// for its next poll holds no curl handle and no socket.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "lro/curl_transport.h"
#include "lro/http.h"
#include "lro/operation_state.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro {

namespace internal {
class EngineImpl;
class EngineOperation;
struct EngineAccess;
}  // namespace internal

struct EngineOptions {
  // Connections open to one host at most; more requests to it wait for one to be free.
  // (With HTTP/2 one connection multiplexes many requests.)
  int max_connections_per_host = 64;
  // Requests in flight across all hosts at most; more wait in a queue, holding no curl
  // handle and no socket. Together these keep 100,000 operations within a process's
  // open-file limit. The queue is first come, first served, except that an operation whose
  // answer calls for its next request at once (Retry-After: 0) sends it in the slot just
  // freed, up to 16 requests in a row: operations finish one after another instead of all
  // together at the end.
  int max_requests_in_flight = 64;
  // Polls in flight that ask the server to hold them until the state changes (`Prefer: wait`,
  // PollingPolicy::prefer_wait) at most. A held poll keeps its request slot and connection
  // for as long as the server holds it: beyond this many, polls ask for an answer at once, so
  // that held polls never take every slot from operations that are due. Raise it (with the
  // two limits above) to wait on thousands of operations at once without polling them.
  int max_held_polls = 16;
  // Timeouts, body cap, HTTP/2, CA file, user agent: as for the blocking transport.
  CurlTransportOptions transport;
};

// Runs on the engine's thread when an operation ends: its result, or why there is none
// (the codes of Poller::Wait). Must not block: it holds up every other operation.
using Completion = std::function<void(StatusOr<Result>)>;

// A handle on an operation running on an engine. Cheap to copy; every copy refers to the same
// operation. Thread-safe.
class AsyncOperation {
 public:
  AsyncOperation() = default;

  [[nodiscard]] bool IsDone() const;
  // The latest state the service reported.
  [[nodiscard]] OperationState State() const;
  // Stops polling: the completion runs with kStopped (unless the operation already ended).
  // The operation goes on server-side; ResumeToken() still works.
  void Stop() const;
  // Asks the service to cancel (as Poller::Cancel); `done` gets the cancel request's status on
  // the engine thread. Polling goes on until the service reports the end.
  void Cancel(std::function<void(Status)> done = {}) const;
  [[nodiscard]] StatusOr<std::string> ResumeToken() const;
  // A future for the outcome; may be taken any number of times, before or after the end. The
  // engine makes it on the first call: an operation followed only through its completion or
  // Then() pays for no future.
  [[nodiscard]] std::shared_future<StatusOr<Result>> Future() const;
  // Runs `continuation` with the outcome when the operation ends, on the engine thread (after
  // the completion given at start and earlier continuations); at once on this thread when it
  // has already ended. Must not block. Any number may be added.
  void Then(Completion continuation) const;
  // Adds a callback run on the engine thread after every answer that changed the state (as
  // the `progress` given at start). Must not block.
  void OnProgress(std::function<void(const OperationState& state)> callback) const;

  // Who the operation is, as Poller::OperationId, MonitorUrl and PollingModeName; empty when
  // not known yet.
  [[nodiscard]] std::string OperationId() const;
  [[nodiscard]] std::string MonitorUrl() const;
  [[nodiscard]] std::string PollingModeName() const;

 private:
  friend class Client;
  explicit AsyncOperation(std::shared_ptr<internal::EngineOperation> operation)
      : operation_(std::move(operation)) {}
  std::shared_ptr<internal::EngineOperation> operation_;
};

// Owns the loop thread. Share one engine between clients (ClientOptions::engine). Destroying
// the engine ends every operation still running with kCancelled, then joins its thread: don't
// destroy it from one of its own completions.
class Engine {
 public:
  explicit Engine(const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = delete;
  Engine& operator=(Engine&&) = delete;

  struct Stats {
    std::uint64_t requests = 0;            // requests completed (any answer or transport error)
    std::uint64_t operations_running = 0;  // started and not yet ended
    int requests_in_flight = 0;            // on the wire (holding a curl handle)
    int requests_queued = 0;               // waiting for a request slot
  };
  // A consistent snapshot taken on the loop thread. From another thread it waits until the
  // loop gets to it (behind the handlers already queued), so it is not for a hot path.
  [[nodiscard]] Stats stats() const;

 private:
  friend class Client;
  friend struct internal::EngineAccess;  // the benchmark hooks of lro/bench.h
  std::shared_ptr<internal::EngineImpl> impl_;
};

}  // namespace lro
