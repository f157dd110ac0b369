// The final-state rules (SPEC §5): where the result of a succeeded operation is, and what a
// failed or canceled one reports. Pure functions. Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "client/protocol/detection.h"
#include "lro/http.h"
#include "lro/operation_state.h"
#include "lro/options.h"
#include "lro/result.h"
#include "lro/service_error.h"
#include "lro/status.h"

namespace lro::internal {

// A status monitor's terminal Succeeded answer, and what the operation knows.
struct SucceededAnswer {
  Mode mode = Mode::kUnknown;
  std::string_view method;       // of the initial request
  std::string_view initial_url;  // of the initial request
  std::string_view monitor_url;  // what was polled (relative links resolve against it)
  std::string_view location;     // the latest Location seen, resolved; empty when none
  FinalStateVia final_state_via = FinalStateVia::kDefault;
  const HttpResponse& response;
  const boost::json::value& body;  // the monitor's body
};

// What ends a succeeded operation: a final GET, or the result at once.
struct FinalStep {
  std::optional<std::string> final_get_url;  // fetch the result from here…
  std::optional<Result> result;              // …or this is the result
};

// In order (SPEC §5): `resourceLocation`; a Fabric monitor's own Location (not the monitor
// itself); the body's `result`; nothing for Fabric; for a POST, per final_state_via (Location
// by default); for a PUT or PATCH, the original URL; else the monitor body itself. An error
// when resourceLocation, or a Fabric monitor's Location, cannot be resolved.
StatusOr<FinalStep> FinalStepOnSuccess(const SucceededAnswer& answer);

// What a Failed or Canceled operation reports: kOperationFailed or kOperationCanceled (Fabric
// reports a cancel as Failed with OperationCanceled, SPEC §9), carrying the service's error:
// `known` when the monitor gave one, else `error` or properties.error of `body`.
struct Failure {
  Status status;
  std::optional<ServiceError> error;
};
Failure TerminalFailure(const LroStatus& status, std::optional<ServiceError> known,
                        const boost::json::value& body);

}  // namespace lro::internal
