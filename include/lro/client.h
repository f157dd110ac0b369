// The client: starts and resumes HTTP long-running operations.
#pragma once

#include <memory>
#include <string_view>

#include "lro/engine.h"
#include "lro/options.h"
#include "lro/poller.h"
#include "lro/request.h"

namespace lro {

// Thread-safe; cheap to share. Operations it starts keep what they need of it alive.
class Client {
 public:
  explicit Client(ClientOptions options = {});

  // Sends the initial request (retrying transient failures when that is safe, SPEC §6) and
  // returns a poller for the operation. If the start failed the poller is already done and
  // Outcome() says why; an operation that finished synchronously is done with its result.
  // `cancel` ends the initial request early (the poller is then done with kCancelled).
  Poller Start(const Request& request, const OperationOptions& options = {},
               const CancellationToken& cancel = {});

  // Rebuilds an operation from Poller::ResumeToken(), possibly written by another process.
  // Nothing is sent until the poller polls. kInvalidArgument when the token is malformed, of
  // another kind, or of a version this library does not read.
  StatusOr<Poller> Resume(std::string_view resume_token, const OperationOptions& options = {});

  // Watches an existing status monitor by URL (e.g. a Fabric /v1/operations/{id} URL),
  // treating it as the monitor of an operation started elsewhere.
  StatusOr<Poller> Watch(std::string_view monitor_url, const OperationOptions& options = {});

  // ---- The asynchronous face: no thread and no blocking sleep per operation. ----
  // Operations run on ClientOptions::engine, or on an engine this client makes on first use
  // (which ends its operations with kCancelled when the client is destroyed). The engine
  // runs on real time: ClientOptions::clock applies to the blocking face only.

  // Starts an operation and returns at once; the engine sends the initial request. `done`
  // runs on the engine thread when the operation ends (the codes of Poller::Wait); `progress`
  // after every poll that changed the state. Both must not block. A request that cannot be
  // sent (bad URL) completes at once with kInvalidArgument.
  AsyncOperation StartAsync(const Request& request, Completion done = {},
                            const OperationOptions& options = {}, ProgressCallback progress = {});
  // As Resume, on the engine; polling starts at once.
  StatusOr<AsyncOperation> ResumeAsync(std::string_view resume_token, Completion done = {},
                                       const OperationOptions& options = {},
                                       ProgressCallback progress = {});
  // As Watch, on the engine; polling starts at once.
  StatusOr<AsyncOperation> WatchAsync(std::string_view monitor_url, Completion done = {},
                                      const OperationOptions& options = {},
                                      ProgressCallback progress = {});

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace lro
