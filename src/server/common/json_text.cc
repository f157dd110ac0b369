#include "common/json_text.h"

#include <boost/json.hpp>

namespace lro::server::internal {
namespace {

// The length of the well-formed UTF-8 sequence (RFC 3629) starting at text[at] whose first byte
// is 0x80 or above, or 0 when it is not one.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte, narrowed for some leads
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - at < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

// Bytes that are not UTF-8 become U+FFFD, one per byte: JSON text is UTF-8 (RFC 8259 §8.1),
// whatever a caller or a handler put in a message.
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t at = 0; at < text.size(); ++at) {
    const char c = text[at];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      if (const std::size_t length = Utf8SequenceLength(text, at); length > 0) {
        out.append(text.substr(at, length));
        at += length - 1;
      } else {
        out += "\\ufffd";
      }
      continue;
    }
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
