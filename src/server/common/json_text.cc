#include "common/json_text.h"

#include <boost/json.hpp>

namespace lro::server::internal {

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendFabricError(std::string& out, const ErrorInfo& error, std::string_view request_id) {
  out += "{\"errorCode\":";
  AppendJsonString(out, error.error_code);
  out += ",\"message\":";
  AppendJsonString(out, error.message);
  if (!request_id.empty()) {
    out += ",\"requestId\":";
    AppendJsonString(out, request_id);
  }
  out += error.is_retriable ? ",\"isRetriable\":true" : ",\"isRetriable\":false";
  if (!error.more_details.empty()) {
    out += ",\"moreDetails\":[";
    bool first = true;
    for (const auto& detail : error.more_details) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"errorCode\":";
      AppendJsonString(out, detail.error_code);
      out += ",\"message\":";
      AppendJsonString(out, detail.message);
      if (!detail.resource_id.empty() || !detail.resource_type.empty()) {
        out += ",\"relatedResource\":{\"resourceId\":";
        AppendJsonString(out, detail.resource_id);
        out += ",\"resourceType\":";
        AppendJsonString(out, detail.resource_type);
        out.push_back('}');
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
}

void AppendAzureError(std::string& out, const ErrorInfo& error) {
  out += "{\"code\":";
  AppendJsonString(out, error.error_code);
  out += ",\"message\":";
  AppendJsonString(out, error.message);
  if (!error.more_details.empty()) {
    out += ",\"details\":[";
    bool first = true;
    for (const auto& detail : error.more_details) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"code\":";
      AppendJsonString(out, detail.error_code);
      out += ",\"message\":";
      AppendJsonString(out, detail.message);
      if (!detail.resource_id.empty()) {
        out += ",\"target\":";
        AppendJsonString(out, detail.resource_id);
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
}

std::string ErrorToJson(const ErrorInfo& error) {
  std::string out;
  AppendFabricError(out, error, {});
  return out;
}

namespace {

std::string StringAt(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

}  // namespace

std::optional<ErrorInfo> ErrorFromJson(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.get_object();
  ErrorInfo error;
  error.error_code = StringAt(object, "errorCode");
  error.message = StringAt(object, "message");
  if (const auto* retriable = object.if_contains("isRetriable");
      retriable && retriable->is_bool()) {
    error.is_retriable = retriable->get_bool();
  }
  if (const auto* details = object.if_contains("moreDetails"); details && details->is_array()) {
    for (const auto& item : details->get_array()) {
      if (!item.is_object()) continue;
      ErrorDetail detail;
      detail.error_code = StringAt(item.get_object(), "errorCode");
      detail.message = StringAt(item.get_object(), "message");
      if (const auto* related = item.get_object().if_contains("relatedResource");
          related && related->is_object()) {
        detail.resource_id = StringAt(related->get_object(), "resourceId");
        detail.resource_type = StringAt(related->get_object(), "resourceType");
      }
      error.more_details.push_back(std::move(detail));
    }
  }
  return error;
}

}  // namespace lro::server::internal
