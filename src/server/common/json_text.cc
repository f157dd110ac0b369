#include "common/json_text.h"

#include "wire/service_error_parse.h"

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

ErrorInfo ToErrorInfo(const ServiceError& error) {
  ErrorInfo info;
  info.error_code = error.code;
  info.message = error.message;
  info.is_retriable = error.is_retriable.value_or(false);
  for (const auto& detail : error.details) {
    ErrorDetail out{detail.code, detail.message, {}, {}};
    if (detail.related_resource) {
      out.resource_id = detail.related_resource->resource_id;
      out.resource_type = detail.related_resource->resource_type;
    }
    info.more_details.push_back(std::move(out));
  }
  return info;
}

std::optional<ErrorInfo> ErrorFromJson(std::string_view json) {
  auto error = wire::ParseErrorJson(json);
  if (!error) return std::nullopt;
  return ToErrorInfo(*error);
}

}  // namespace lro::server::internal
