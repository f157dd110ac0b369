// What an answer says, read the same way by every part of the protocol: JSON fields, the
// status a body carries, results, and the errors for answers that fail or cannot be read.
// Pure functions. Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/operation_state.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro::internal {

// 408, 429, 500, 502, 503 and 504: worth retrying (SPEC §6).
bool IsTransientHttpStatus(int status);
bool Is2xx(int status);

// `body` parsed, or nullopt when it is not JSON.
std::optional<boost::json::value> ParseBody(std::string_view body);
// True when the response's Content-Type says its body is JSON: the protocol must then be able
// to read it.
bool DeclaresJson(const HttpResponse& response);
// A protocol error for a JSON answer that does not parse (SPEC §3 step 7), naming where the
// parse failed: never a success.
Status UnreadableJson(const std::string& what, const HttpResponse& response);

// True when a Preference-Applied header names the `wait` preference (RFC 7240 §3): the
// server held the request until the state changed.
bool WaitPreferenceApplied(const Headers& headers);

// `value[key]`, or nullptr when `value` is not an object or has no `key`.
const boost::json::value* Field(const boost::json::value& value, std::string_view key);
// `value[key]` when it is a string.
std::optional<std::string> StringField(const boost::json::value& value, std::string_view key);
// properties.provisioningState of an ARM resource body, when it is a string.
std::optional<std::string> ProvisioningState(const boost::json::value& body);
// The status a body carries, when it has one: `status` or properties.provisioningState.
std::optional<LroStatus> BodyStatus(const boost::json::value& body);
// A status the client sets itself (not read from a body): known, named by StatusKindName.
LroStatus KnownStatus(StatusKind kind);

// The response as the operation's result (status, Content-Type, body).
Result ResultFrom(const HttpResponse& response);
// `value` serialized as an application/json result.
Result JsonResult(const boost::json::value& value, int http_status);
// No result: the operation succeeded with nothing to return.
Result NoResult(int http_status);

// "code: message", or whichever of them is set.
std::string Describe(const ServiceError& error);
// kHttpError for a non-transient error answer, with the service's error when it sent one.
Status HttpFailure(const std::string& what, const HttpResponse& response);
Status ProtocolError(std::string message);

}  // namespace lro::internal
