// How an operation is polled, detected from the answer to its initial request (SPEC §3):
// a pure function of that answer and the caller's options. Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/options.h"
#include "lro/status.h"

namespace lro::internal {

// How this operation is polled, once known (SPEC §3).
enum class Mode {
  kUnknown,            // initial request not answered yet
  kNone,               // finished synchronously: nothing to poll
  kOperationLocation,  // Azure data plane status monitor
  kAzureAsyncOperation,
  kFabric,    // Fabric status monitor
  kLocation,  // ARM Location polling
  kBody,      // provisioningState on the original URL
  kGoogle,    // Google Operation resource (AIP-151)
};
// "operation-location", "fabric", …: the names resume tokens and the CLI use.
const char* ModeName(Mode mode);
// The mode a name (ModeName) stands for; kUnknown for any other text.
Mode ModeFromName(std::string_view name);
// The mode an operation known only by its monitor URL is read in (Client::Watch): the one
// forced, or kLocation, which reads a Fabric or Azure monitor too (SPEC §3, step 4).
Mode ModeForMonitor(PollingMode forced);

// The 2xx answer to the initial request, as detection reads it.
struct FirstAnswer {
  std::string_view method;  // of the initial request
  std::string_view url;     // of the initial request, absolute
  const HttpResponse& response;
  const boost::json::value* body = nullptr;  // the parsed body; nullptr when it is not JSON
  std::string_view location;  // the answer's Location resolved against `url`; empty when none
};

struct Detection {
  Mode mode = Mode::kNone;  // kNone: finished synchronously (or a 202 nothing can poll)
  std::string monitor_url;  // what polls GET (empty for kNone)
};

// The polling mode and monitor for `answer` under `options` (mode, fabric_base_url): in auto
// mode Operation-Location, then Azure-AsyncOperation, then x-ms-operation-id on a 202
// (Fabric), then Location on a 202, then a running provisioningState of a PUT/PATCH, then a
// Google Operation body. An error when the link it chose cannot be resolved or is not a plain
// id. Says nothing about whether the operation is already over: that is the body's status.
StatusOr<Detection> DetectPollingMode(const FirstAnswer& answer, const OperationOptions& options);

}  // namespace lro::internal
