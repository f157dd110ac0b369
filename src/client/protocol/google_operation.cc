#include "client/protocol/google_operation.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cctype>

namespace lro::internal {
namespace {

const boost::json::value* Field(const boost::json::value& value, std::string_view key) {
  const auto* object = value.if_object();
  return object == nullptr ? nullptr : object->if_contains(key);
}

// "v1", "v2", "v1beta1", "v1alpha": a version segment of a Google API path.
bool IsVersionSegment(std::string_view segment) {
  if (segment.size() < 2 || segment[0] != 'v' ||
      std::isdigit(static_cast<unsigned char>(segment[1])) == 0) {
    return false;
  }
  return std::all_of(segment.begin(), segment.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 &&
           std::isupper(static_cast<unsigned char>(c)) == 0;
  });
}

std::optional<int> Percent(const boost::json::value& value) {
  if (value.is_int64()) {
    return static_cast<int>(std::clamp<std::int64_t>(value.get_int64(), 0, 100));
  }
  if (value.is_uint64()) return 100;
  if (value.is_double()) return static_cast<int>(std::clamp(value.get_double(), 0.0, 100.0));
  return std::nullopt;
}

Status Protocol(std::string message) {
  return Status(StatusCode::kProtocolError, "Google operation: " + std::move(message));
}

}  // namespace

bool IsGoogleOperation(const boost::json::value& body) {
  const auto* name = Field(body, "name");
  const auto* done = Field(body, "done");
  return name != nullptr && name->is_string() && !name->get_string().empty() && done != nullptr &&
         done->is_bool();
}

StatusOr<std::string> GoogleOperationUrl(std::string_view call_url, std::string_view name) {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty()) return Protocol("empty name");
  const bool unsafe = name.find("..") != std::string_view::npos ||
                      name.find_first_of("?#\\ \t\r\n") != std::string_view::npos ||
                      name.find("://") != std::string_view::npos;
  if (unsafe) return Protocol("name '" + std::string(name.substr(0, 100)) + "' is not a path");
  const std::size_t scheme_end = call_url.find("://");
  if (scheme_end == std::string_view::npos) return Protocol("the call's URL is not absolute");
  std::size_t path_start = call_url.find_first_of("/?#", scheme_end + 3);
  if (path_start == std::string_view::npos) path_start = call_url.size();
  std::string_view path = call_url.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  std::string prefix(call_url.substr(0, path_start));
  std::string version_prefix = "/v1/";
  std::size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    const std::size_t end = std::min(path.find('/', at), path.size());
    if (IsVersionSegment(path.substr(at, end - at))) {
      version_prefix = std::string(path.substr(0, end)) + "/";
      break;
    }
    at = end;
  }
  return prefix + version_prefix + std::string(name);
}

std::string RpcCodeName(std::int64_t code) {
  static constexpr std::array<const char*, 17> kNames{"OK",
                                                      "CANCELLED",
                                                      "UNKNOWN",
                                                      "INVALID_ARGUMENT",
                                                      "DEADLINE_EXCEEDED",
                                                      "NOT_FOUND",
                                                      "ALREADY_EXISTS",
                                                      "PERMISSION_DENIED",
                                                      "RESOURCE_EXHAUSTED",
                                                      "FAILED_PRECONDITION",
                                                      "ABORTED",
                                                      "OUT_OF_RANGE",
                                                      "UNIMPLEMENTED",
                                                      "INTERNAL",
                                                      "UNAVAILABLE",
                                                      "DATA_LOSS",
                                                      "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<std::int64_t>(kNames.size())) {
    return kNames[static_cast<std::size_t>(code)];
  }
  return std::to_string(code);
}

StatusOr<GoogleOperation> ReadGoogleOperation(const boost::json::value& body) {
  if (!body.is_object()) return Protocol("the body is not a JSON object");
  GoogleOperation operation;
  if (const auto* name = Field(body, "name")) {
    if (!name->is_string()) return Protocol("`name` is not a string");
    operation.name = std::string(name->get_string());
  }
  if (const auto* done = Field(body, "done"); done != nullptr && !done->is_null()) {
    if (!done->is_bool()) {
      return Protocol("`done` is not a boolean: " + boost::json::serialize(*done).substr(0, 100));
    }
    operation.done = done->get_bool();
  }
  if (const auto* metadata = Field(body, "metadata")) {
    for (const char* key : {"progressPercent", "progress_percent"}) {
      if (const auto* percent = Field(*metadata, key)) {
        if (auto value = Percent(*percent)) operation.percent_complete = value;
      }
    }
  }
  if (!operation.done) return operation;
  if (const auto* error = Field(body, "error"); error != nullptr && !error->is_null()) {
    const auto* code = Field(*error, "code");
    if (!error->is_object() || (code != nullptr && !code->is_int64() && !code->is_uint64())) {
      return Protocol("`error` is not a google.rpc.Status");
    }
    ServiceError service_error;
    if (code != nullptr) {
      operation.rpc_code =
          code->is_int64()
              ? static_cast<int>(std::clamp<std::int64_t>(code->get_int64(), -1, 1'000'000))
              : 1'000'000;
    } else {
      operation.rpc_code = 2;  // UNKNOWN
    }
    service_error.code = RpcCodeName(operation.rpc_code);
    if (const auto* message = Field(*error, "message");
        message != nullptr && message->is_string()) {
      service_error.message = std::string(message->get_string());
    }
    if (const auto* details = Field(*error, "details"); details != nullptr && !details->is_null()) {
      service_error.inner_error_json = boost::json::serialize(*details);
    }
    operation.error = std::move(service_error);
    return operation;
  }
  if (const auto* response = Field(body, "response"); response != nullptr && !response->is_null()) {
    operation.response = *response;
  }
  return operation;
}

}  // namespace lro::internal
