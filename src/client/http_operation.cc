#include "client/http_operation.h"

#include <utility>

#include "client/url.h"

namespace lro::internal {

HttpOperation::HttpOperation(std::shared_ptr<const ClientContext> context, LroMachine machine)
    : context_(std::move(context)), machine_(std::move(machine)) {}

Instant HttpOperation::Now() const {
  return Instant{context_->clock->Now(), context_->clock->WallNow()};
}

StatusOr<HttpResponse> HttpOperation::Send(const Outgoing& outgoing,
                                           const CancellationToken& cancel) {
  HttpRequest request = outgoing.request;
  if (outgoing.may_carry_credentials && context_->credentials) {
    auto credentials = context_->credentials();
    if (!credentials.ok()) {
      return Status(StatusCode::kUnavailable,
                    "the credential provider failed: " + credentials.status().message());
    }
    request.headers.insert(request.headers.end(), credentials->begin(), credentials->end());
  }
  context_->logger.LogLazily(LogLevel::kDebug, [&] {
    return std::string(PurposeName(outgoing.purpose)) + ": " + request.method + " " +
           RedactUrl(request.url);
  });
  return context_->transport->Send(request, cancel);
}

Status HttpOperation::Poll(const CancellationToken& cancel) { return Step(cancel, false); }

Status HttpOperation::WaitStep(const CancellationToken& cancel) { return Step(cancel, true); }

Status HttpOperation::Step(const CancellationToken& cancel, bool may_wait) {
  do {
    if (cancel.cancelled()) return Status(StatusCode::kCancelled, "cancelled");
    auto response =
        Send(may_wait ? machine_.PendingRequestThatMayWait() : machine_.PendingRequest(), cancel);
    if (!response.ok() && response.status().code() == StatusCode::kCancelled) {
      return response.status();
    }
    if (response.ok()) {
      machine_.OnResponse(*response, Now());
    } else {
      machine_.OnTransportError(response.status(), Now());
    }
  } while (!machine_.done() && machine_.immediate());
  if (machine_.done()) {
    auto outcome = machine_.outcome();
    if (!outcome.ok() && outcome.status().IsPollingFailure()) return outcome.status();
    return Status();
  }
  // The step read no answer: it only scheduled a retry (kUnavailable naming the cause).
  return machine_.retry_cause();
}

Status HttpOperation::Cancel(const CancellationToken& cancel) {
  if (machine_.done()) return Status();
  auto outgoing = machine_.CancelRequest();
  if (!outgoing.ok()) return outgoing.status();
  auto response = Send(*outgoing, cancel);
  if (!response.ok()) return response.status();
  return machine_.OnCancelResponse(*response, Now());
}

}  // namespace lro::internal
