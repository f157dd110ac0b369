// Reading the service's error out of a response. Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>

#include "lro/http.h"
#include "lro/service_error.h"

namespace lro::internal {

// One error object of either shape: Fabric (errorCode, message, requestId, isRetriable,
// moreDetails, relatedResource) or Azure's inner object (code, message, target, details,
// innererror). nullopt when `value` is not an object with a code or a message.
std::optional<ServiceError> ParseErrorObject(const boost::json::value& value);

// The error in an error response: the body's Azure `{"error": {...}}` or Fabric
// ErrorResponse, completed from the x-ms-error-code / x-ms-public-api-error-code and request
// id headers. nullopt when neither body nor headers carry one.
std::optional<ServiceError> ServiceErrorFromResponse(const HttpResponse& response);

// The request id the server put on a response (x-ms-request-id, RequestId, x-request-id…).
std::string RequestIdOf(const Headers& headers);

}  // namespace lro::internal
