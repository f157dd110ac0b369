#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "wire/service_error_parse.h"

namespace lro::wire {
namespace {

std::string StringField(const boost::json::object& object, std::string_view key) {
  const auto* field = object.if_contains(key);
  if (field == nullptr) return {};
  if (const auto* text = field->if_string()) return std::string(*text);
  if (field->is_number()) return boost::json::serialize(*field);
  return {};
}

}  // namespace

std::optional<ServiceError> ParseErrorObject(const boost::json::value& value) {
  const auto* object = value.if_object();
  if (object == nullptr) return std::nullopt;
  ServiceError error;
  error.code = StringField(*object, "errorCode");
  if (error.code.empty()) error.code = StringField(*object, "code");
  error.message = StringField(*object, "message");
  error.request_id = StringField(*object, "requestId");
  error.target = StringField(*object, "target");
  if (const auto* retriable = object->if_contains("isRetriable")) {
    if (retriable->is_bool()) error.is_retriable = retriable->get_bool();
  }
  if (const auto* related = object->if_contains("relatedResource")) {
    if (const auto* related_object = related->if_object()) {
      error.related_resource = RelatedResource{StringField(*related_object, "resourceId"),
                                               StringField(*related_object, "resourceType")};
    }
  }
  for (const char* key : {"moreDetails", "details"}) {
    if (const auto* details = object->if_contains(key)) {
      if (const auto* array = details->if_array()) {
        for (const auto& item : *array) {
          if (auto detail = ParseErrorObject(item)) error.details.push_back(std::move(*detail));
        }
      }
    }
  }
  if (const auto* inner = object->if_contains("innererror")) {
    if (!inner->is_null()) error.inner_error_json = boost::json::serialize(*inner);
  }
  if (error.code.empty() && error.message.empty()) return std::nullopt;
  return error;
}

std::optional<ServiceError> ParseErrorJson(std::string_view json) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(json, ec);
  if (ec) return std::nullopt;
  return ParseErrorObject(value);
}

std::string RequestIdOf(const Headers& headers) {
  for (const char* name : {"x-ms-request-id", "RequestId", "x-request-id", "request-id",
                           "x-ms-correlation-request-id"}) {
    if (auto value = FindHeader(headers, name)) return std::string(*value);
  }
  return {};
}

std::optional<ServiceError> ServiceErrorFromResponse(const HttpResponse& response) {
  std::optional<ServiceError> error;
  boost::system::error_code ec;
  const auto body = boost::json::parse(response.body, ec);
  if (!ec) {
    if (const auto* object = body.if_object()) {
      if (const auto* inner = object->if_contains("error");
          inner != nullptr && inner->is_object()) {
        error = ParseErrorObject(*inner);
      } else {
        error = ParseErrorObject(body);
      }
    }
  }
  std::string header_code;
  for (const char* name : {"x-ms-public-api-error-code", "x-ms-error-code"}) {
    if (auto value = FindHeader(response.headers, name)) {
      header_code = std::string(*value);
      break;
    }
  }
  const std::string request_id = RequestIdOf(response.headers);
  if (!error && header_code.empty()) return std::nullopt;
  if (!error) error.emplace();
  if (error->code.empty()) error->code = header_code;
  if (error->request_id.empty()) error->request_id = request_id;
  return error;
}

}  // namespace lro::wire
