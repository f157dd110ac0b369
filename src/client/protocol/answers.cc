#include "client/protocol/answers.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <utility>

#include "wire/ascii.h"
#include "wire/media_type.h"
#include "wire/preferences.h"
#include "wire/service_error_parse.h"

namespace lro::internal {
namespace {

// Why `body` is not JSON, for the message of a protocol error.
std::string JsonParseError(std::string_view body) {
  boost::system::error_code ec;
  boost::json::stream_parser parser;
  const std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) return "no error";
  return ec.message() + " at byte " + std::to_string(used);
}

}  // namespace

bool IsTransientHttpStatus(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

std::optional<boost::json::value> ParseBody(std::string_view body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  return value;
}

bool DeclaresJson(const HttpResponse& response) {
  const auto type = FindHeader(response.headers, "Content-Type");
  return type && !type->empty() && wire::IsJsonMediaType(*type);
}

Status UnreadableJson(const std::string& what, const HttpResponse& response) {
  std::string message = what + " answered HTTP " + std::to_string(response.status) +
                        " with a JSON body that does not parse (" + JsonParseError(response.body) +
                        ")";
  Status status(StatusCode::kProtocolError, std::move(message));
  status.set_http_status(response.status);
  return status;
}

bool WaitPreferenceApplied(const Headers& headers) {
  const auto applied = FindHeader(headers, "Preference-Applied");
  return applied && wire::FindPreference(*applied, "wait").has_value();
}

const boost::json::value* Field(const boost::json::value& value, std::string_view key) {
  const auto* object = value.if_object();
  return object == nullptr ? nullptr : object->if_contains(key);
}

std::optional<std::string> StringField(const boost::json::value& value, std::string_view key) {
  const auto* field = Field(value, key);
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return std::string(field->get_string());
}

std::optional<std::string> ProvisioningState(const boost::json::value& body) {
  const auto* properties = Field(body, "properties");
  if (properties == nullptr) return std::nullopt;
  return StringField(*properties, "provisioningState");
}

std::optional<LroStatus> BodyStatus(const boost::json::value& body) {
  if (auto status = StringField(body, "status")) return ClassifyStatus(*status);
  if (auto state = ProvisioningState(body)) return ClassifyStatus(*state);
  return std::nullopt;
}

LroStatus KnownStatus(StatusKind kind) { return LroStatus{kind, StatusKindName(kind), true}; }

Result ResultFrom(const HttpResponse& response) {
  Result result;
  result.has_value = true;
  result.http_status = response.status;
  result.content_type = std::string(FindHeader(response.headers, "Content-Type").value_or(""));
  result.body = response.body;
  return result;
}

Result JsonResult(const boost::json::value& value, int http_status) {
  Result result;
  result.has_value = true;
  result.http_status = http_status;
  result.content_type = "application/json";
  result.body = boost::json::serialize(value);
  return result;
}

Result NoResult(int http_status) { return Result{false, http_status, {}, {}}; }

std::string Describe(const ServiceError& error) {
  std::string text = error.code.empty() ? "" : error.code;
  if (!error.message.empty()) text += (text.empty() ? "" : ": ") + error.message;
  return text;
}

Status HttpFailure(const std::string& what, const HttpResponse& response) {
  Status status(StatusCode::kHttpError, what + " failed: HTTP " + std::to_string(response.status));
  status.set_http_status(response.status);
  if (auto error = wire::ServiceErrorFromResponse(response)) {
    const std::string described = Describe(*error);
    Status detailed(StatusCode::kHttpError,
                    status.message() + (described.empty() ? "" : " (" + described + ")"));
    detailed.set_http_status(response.status);
    detailed.set_service_error(std::move(*error));
    return detailed;
  }
  return status;
}

Status ProtocolError(std::string message) {
  return Status(StatusCode::kProtocolError, std::move(message));
}

}  // namespace lro::internal
