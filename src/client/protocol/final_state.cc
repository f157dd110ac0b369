#include "client/protocol/final_state.h"

#include <utility>

#include "client/protocol/answers.h"
#include "client/protocol/url.h"
#include "wire/ascii.h"
#include "wire/service_error_parse.h"

namespace lro::internal {

StatusOr<FinalStep> FinalStepOnSuccess(const SucceededAnswer& answer) {
  const boost::json::value& body = answer.body;
  const std::string monitor_url(answer.monitor_url);
  if (auto resource = StringField(body, "resourceLocation")) {
    auto url = ResolveUrl(monitor_url, *resource);
    if (!url.ok()) return url.status();
    return FinalStep{std::move(*url), std::nullopt};
  }
  if (answer.mode == Mode::kFabric) {
    // Only this terminal response's own Location names the result: a Location remembered from
    // an earlier poll is the state URL.
    if (auto location = FindHeader(answer.response.headers, "Location")) {
      auto url = ResolveUrl(monitor_url, *location);
      if (!url.ok()) {
        // The service says where the result is, but not in a form we can follow: reporting
        // "no result" would lose it silently.
        return ProtocolError(
            "the succeeded state's Location header (where the result is) is not a usable URL: " +
            url.status().message());
      }
      if (*url != monitor_url) return FinalStep{std::move(*url), std::nullopt};
    }
  }
  if (const auto* result = Field(body, "result")) {
    return FinalStep{std::nullopt, JsonResult(*result, answer.response.status)};
  }
  if (answer.mode == Mode::kFabric) {
    return FinalStep{std::nullopt, NoResult(answer.response.status)};
  }
  std::optional<std::string> final_url;
  if (wire::EqualsIgnoreCase(answer.method, "post")) {
    switch (answer.final_state_via) {
      case FinalStateVia::kLocation:
      case FinalStateVia::kDefault:
        if (!answer.location.empty()) final_url = std::string(answer.location);
        break;
      case FinalStateVia::kOriginalUri:
        final_url = std::string(answer.initial_url);
        break;
      case FinalStateVia::kAzureAsyncOperation:
      case FinalStateVia::kOperationLocation:
        break;
    }
  } else if (wire::EqualsAnyIgnoreCase(answer.method, {"put", "patch"})) {
    final_url = std::string(answer.initial_url);
  }
  if (final_url) return FinalStep{std::move(final_url), std::nullopt};
  // No final GET: the terminal monitor body is the result (SPEC §5.6).
  return FinalStep{std::nullopt, JsonResult(body, answer.response.status)};
}

Failure TerminalFailure(const LroStatus& status, std::optional<ServiceError> known,
                        const boost::json::value& body) {
  std::optional<ServiceError> error = std::move(known);
  if (!error) {
    if (const auto* field = Field(body, "error")) error = wire::ParseErrorObject(*field);
  }
  if (!error) {
    if (const auto* properties = Field(body, "properties")) {
      if (const auto* field = Field(*properties, "error")) error = wire::ParseErrorObject(*field);
    }
  }
  const bool canceled =
      status.kind == StatusKind::kCanceled || (error && error->code == "OperationCanceled");
  std::string message = canceled ? "operation canceled" : "operation failed";
  message += " (status " + status.raw + ")";
  if (error) {
    const std::string described = Describe(*error);
    if (!described.empty()) message += ": " + described;
  }
  Status failure(canceled ? StatusCode::kOperationCanceled : StatusCode::kOperationFailed,
                 std::move(message));
  if (error) failure.set_service_error(*error);
  return Failure{std::move(failure), std::move(error)};
}

}  // namespace lro::internal
