// Google's long-running operations (AIP-151, SPEC §3 step 6): recognizing an `Operation`
// resource, where to poll it, and reading it. Pure functions: no I/O, no clock.
// Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lro/service_error.h"
#include "lro/status.h"

namespace lro::internal {

// True when `body` is a Google Operation as auto-detection sees it: an object with a string
// `name` and a boolean `done`.
bool IsGoogleOperation(const boost::json::value& body);

// The URL that polls operation `name` for a call to `call_url`: the call's origin and version
// prefix (the path up to its first segment such as `v1` or `v1beta2`; `/v1/` when it has
// none) followed by the name. kProtocolError when the name is empty or could leave that
// prefix (`..`, a query, a fragment, a scheme).
StatusOr<std::string> GoogleOperationUrl(std::string_view call_url, std::string_view name);

// What one Operation body says.
struct GoogleOperation {
  std::string name;
  bool done = false;
  std::optional<int> percent_complete;         // metadata.progressPercent / progress_percent
  std::optional<boost::json::value> response;  // when done and succeeded
  std::optional<ServiceError> error;           // when done and failed (google.rpc.Status)
  int rpc_code = 0;                            // error.code; 1 (CANCELLED) means canceled
};

// Reads an Operation body. `done` absent means false. kProtocolError naming the field when
// the body is not an object, `name` is not a string, `done` is not a boolean, or `error` is
// not a google.rpc.Status.
StatusOr<GoogleOperation> ReadGoogleOperation(const boost::json::value& body);

// "CANCELLED", "INVALID_ARGUMENT", … for a google.rpc.Code; the number as text otherwise.
std::string RpcCodeName(std::int64_t code);

}  // namespace lro::internal
