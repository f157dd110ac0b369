// The HTTP operation: an lro::Operation that runs the protocol machine over a transport.
// Internal: subject to change.
#pragma once

#include <memory>

#include "client/log.h"
#include "client/lro_machine.h"
#include "lro/clock.h"
#include "lro/http.h"
#include "lro/operation.h"
#include "lro/options.h"

namespace lro::internal {

// What every operation of one Client shares.
struct ClientContext {
  std::shared_ptr<HttpTransport> transport;
  // True when the caller gave the transport: the engine then calls it instead of its libcurl.
  bool custom_transport = false;
  // The caller's asynchronous transport: the engine's first choice when set.
  std::shared_ptr<AsyncHttpTransport> async_transport;
  std::shared_ptr<Clock> clock;
  CredentialProvider credentials;
  Logger logger;
};

class HttpOperation final : public Operation {
 public:
  HttpOperation(std::shared_ptr<const ClientContext> context, LroMachine machine);

  Status Poll(const CancellationToken& cancel) override;
  // A step that may be held by the service (Prefer: wait).
  Status WaitStep(const CancellationToken& cancel) override;
  [[nodiscard]] MonotonicTime next_poll_at() const override { return machine_.next_at(); }
  [[nodiscard]] bool done() const override { return machine_.done(); }
  [[nodiscard]] const OperationState& state() const override { return machine_.state(); }
  [[nodiscard]] StatusOr<Result> outcome() const override { return machine_.outcome(); }
  Status Cancel(const CancellationToken& cancel) override;
  [[nodiscard]] StatusOr<std::string> ResumeToken() const override {
    return machine_.ResumeToken();
  }
  [[nodiscard]] std::string id() const override { return machine_.operation_id(); }
  [[nodiscard]] std::string monitor_url() const override { return machine_.monitor_url(); }
  [[nodiscard]] std::string polling_mode() const override {
    return machine_.mode() == Mode::kUnknown ? std::string() : ModeName(machine_.mode());
  }

  // True until the initial request has been answered (or given up on).
  [[nodiscard]] bool starting() const { return machine_.phase() == Phase::kInitial; }
  // Ends the operation locally (the start was abandoned).
  void Abandon(Status error) { machine_.Abandon(std::move(error)); }

 private:
  // Sends the pending request (asking to be held when `may_wait`) and reads its answer, and
  // the next one's when it follows at once.
  Status Step(const CancellationToken& cancel, bool may_wait);
  StatusOr<HttpResponse> Send(const Outgoing& outgoing, const CancellationToken& cancel);
  Instant Now() const;

  std::shared_ptr<const ClientContext> context_;
  LroMachine machine_;
};

}  // namespace lro::internal
