// Reading a service's error (SPEC §6): the one parser of both wire shapes, for the client
// (error responses, failed operations) and lrod (stored errors, the demo service's input).
// Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/service_error.h"

namespace lro::wire {

// One error object of either shape: Fabric (errorCode, message, requestId, isRetriable,
// moreDetails, relatedResource) or Azure's inner object (code, message, target, details,
// innererror). nullopt when `value` is not an object with a code or a message.
std::optional<ServiceError> ParseErrorObject(const boost::json::value& value);
// ParseErrorObject of JSON text; nullopt when it is not JSON either.
std::optional<ServiceError> ParseErrorJson(std::string_view json);

// The error in an error response: the body's Azure `{"error": {...}}` or Fabric
// ErrorResponse, completed from the x-ms-error-code / x-ms-public-api-error-code and request
// id headers. nullopt when neither body nor headers carry one.
std::optional<ServiceError> ServiceErrorFromResponse(const HttpResponse& response);

// The request id the server put on a response (x-ms-request-id, RequestId, x-request-id…).
std::string RequestIdOf(const Headers& headers);

}  // namespace lro::wire
