#include "api/rendering.h"

#include <boost/json.hpp>

#include "common/json_text.h"
#include "common/time_text.h"
#include "wire/media_type.h"

namespace lro::server::internal {

const char* VisibleStatusName(Mode mode, OperationStatus status) {
  if (mode == Mode::kFabric && status == OperationStatus::kCanceled) return "Failed";
  return OperationStatusName(status);
}

namespace {

// Whether `text` is one JSON value, which may be inlined into a JSON body as it is. A result a
// handler declared JSON is not necessarily so.
bool IsJsonValue(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse(text, ec);
  return !ec;
}

}  // namespace

std::string StateUrl(const RenderConfig& config, std::string_view id) {
  std::string url;
  url.reserve(config.public_url.size() + 16 + id.size());
  url += config.public_url;
  url += "/v1/operations/";
  url += id;
  return url;
}

void RenderSnapshot(const RenderConfig& config, Snapshot& s) {
  std::string& body = s.body;
  body.clear();
  body.reserve(200);
  const bool fabric = config.mode == Mode::kFabric;
  if (fabric) {
    body += "{\"status\":\"";
    body += VisibleStatusName(config.mode, s.status);
    body += "\",\"createdTimeUtc\":\"";
    AppendIso8601(body, s.created_ms);
    body += "\",\"lastUpdatedTimeUtc\":\"";
    AppendIso8601(body, s.updated_ms);
    body += "\",\"percentComplete\":";
    body += s.percent_complete ? std::to_string(*s.percent_complete) : "null";
    body += ",\"error\":";
    if (s.error) {
      AppendFabricError(body, *s.error, {});
    } else {
      body += "null";
    }
    body += '}';
  } else {
    body += "{\"id\":\"";
    body += s.id;
    body += "\",\"status\":\"";
    body += VisibleStatusName(config.mode, s.status);
    body += "\",\"createdDateTime\":\"";
    AppendIso8601(body, s.created_ms);
    body += "\",\"lastUpdatedDateTime\":\"";
    AppendIso8601(body, s.updated_ms);
    body += "\",\"percentComplete\":";
    body += s.percent_complete ? std::to_string(*s.percent_complete) : "null";
    if (s.error) {
      body += ",\"error\":";
      AppendAzureError(body, *s.error);
    }
    if (s.status == OperationStatus::kSucceeded && s.has_result) {
      if (s.result && wire::IsJsonMediaType(s.result->content_type) &&
          IsJsonValue(s.result->body)) {
        body += ",\"result\":";
        body += s.result->body;
      } else {
        body += ",\"resourceLocation\":";
        AppendJsonString(body, StateUrl(config, s.id) + "/result");
      }
    }
    body += '}';
  }

  std::string& h = s.headers;
  h.clear();
  h += "Cache-Control: no-store\r\n";
  const std::string url = StateUrl(config, s.id);
  if (!IsTerminal(s.status)) {
    if (fabric) {
      h += "Location: ";
      h += url;
      h += "\r\nx-ms-operation-id: ";
      h += s.id;
      h += "\r\n";
    }
    h += "Retry-After: ";
    h += std::to_string(s.retry_after_s);
    h += "\r\n";
  } else if (fabric && s.status == OperationStatus::kSucceeded) {
    if (s.has_result) {
      h += "Location: ";
      h += url;
      h += "/result\r\nx-ms-operation-id: ";
      h += s.id;
      h += "\r\n";
    }
  } else if (fabric) {
    h += "x-ms-operation-id: ";
    h += s.id;
    h += "\r\n";
  }
}

void AppendListEntry(const RenderConfig& config, std::string& out, const OperationRecord& r) {
  const bool fabric = config.mode == Mode::kFabric;
  out += "{\"id\":\"";
  out += r.id;
  out += "\",\"type\":";
  AppendJsonString(out, r.type);
  if (!r.display_name.empty()) {
    out += ",\"displayName\":";
    AppendJsonString(out, r.display_name);
  }
  out += ",\"status\":\"";
  out += VisibleStatusName(config.mode, r.status);
  out += fabric ? "\",\"createdTimeUtc\":\"" : "\",\"createdDateTime\":\"";
  AppendIso8601(out, r.created_ms);
  out += fabric ? "\",\"lastUpdatedTimeUtc\":\"" : "\",\"lastUpdatedDateTime\":\"";
  AppendIso8601(out, r.updated_ms);
  out += "\",\"percentComplete\":";
  out += r.percent_complete ? std::to_string(*r.percent_complete) : "null";
  if (r.error) {
    out += ",\"error\":";
    if (fabric) {
      AppendFabricError(out, *r.error, {});
    } else {
      AppendAzureError(out, *r.error);
    }
  }
  out += ",\"location\":";
  AppendJsonString(out, StateUrl(config, r.id));
  out += '}';
}

}  // namespace lro::server::internal
