#include "lro/status.h"

#include <string>

namespace lro {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kStopped:
      return "STOPPED";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kOperationFailed:
      return "OPERATION_FAILED";
    case StatusCode::kOperationCanceled:
      return "OPERATION_CANCELED";
    case StatusCode::kHttpError:
      return "HTTP_ERROR";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kProtocolError:
      return "PROTOCOL_ERROR";
    case StatusCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  std::string out = StatusCodeName(code_);
  if (!message_.empty()) out += ": " + message_;
  std::string extra;
  auto add = [&extra](const std::string& part) {
    if (!extra.empty()) extra += ", ";
    extra += part;
  };
  const std::string http = "HTTP " + std::to_string(http_status_);
  if (http_status_ != 0 && message_.find(http) == std::string::npos) add(http);
  if (service_error_) {
    if (!service_error_->code.empty()) add("code " + service_error_->code);
    if (!service_error_->request_id.empty()) add("request id " + service_error_->request_id);
  }
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

}  // namespace lro
