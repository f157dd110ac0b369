#include "format.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <system_error>

namespace lro::cli {
namespace {

// What kind of failure a code is, as the first words of an error line.
const char* Family(StatusCode code) {
  switch (code) {
    case StatusCode::kOperationFailed:
      return "operation failed";
    case StatusCode::kOperationCanceled:
      return "operation canceled";
    case StatusCode::kHttpError:
      return "request failed";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kProtocolError:
      return "protocol error";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kDeadlineExceeded:
      return "timed out";
    case StatusCode::kCancelled:
    case StatusCode::kStopped:
      return "interrupted";
    case StatusCode::kFailedPrecondition:
      return "not possible";
    case StatusCode::kInternal:
      return "internal error";
    case StatusCode::kOk:
      return "ok";
  }
  return "error";
}

std::string CodeAndMessage(const ServiceError& error) {
  std::string text = error.code;
  if (!error.message.empty()) text += (text.empty() ? "" : ": ") + error.message;
  return text;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

boost::json::object ServiceErrorToJson(const ServiceError& error) {
  boost::json::object out;
  if (!error.code.empty()) out["code"] = error.code;
  if (!error.message.empty()) out["message"] = error.message;
  if (!error.request_id.empty()) out["requestId"] = error.request_id;
  if (!error.target.empty()) out["target"] = error.target;
  if (error.is_retriable) out["isRetriable"] = *error.is_retriable;
  if (error.related_resource) {
    out["relatedResource"] = {{"resourceId", error.related_resource->resource_id},
                              {"resourceType", error.related_resource->resource_type}};
  }
  if (!error.details.empty()) {
    boost::json::array details;
    for (const ServiceError& detail : error.details) details.push_back(ServiceErrorToJson(detail));
    out["details"] = std::move(details);
  }
  if (!error.inner_error_json.empty()) {
    std::error_code ec;
    boost::json::value inner = boost::json::parse(error.inner_error_json, ec);
    if (ec) {
      out["innerError"] = error.inner_error_json;
    } else {
      out["innerError"] = std::move(inner);
    }
  }
  return out;
}

void AddDetailLines(const ServiceError& error, const std::string& indent,
                    std::vector<std::string>& lines) {
  for (const ServiceError& detail : error.details) {
    std::string line = indent + "detail: " + CodeAndMessage(detail);
    if (detail.related_resource) {
      line += " (resource " + detail.related_resource->resource_id;
      if (!detail.related_resource->resource_type.empty()) {
        line += ", " + detail.related_resource->resource_type;
      }
      line += ")";
    }
    if (!detail.target.empty()) line += " (target " + detail.target + ")";
    lines.push_back(std::move(line));
    AddDetailLines(detail, indent + "  ", lines);
  }
}

}  // namespace

std::string DescribeError(const Status& status) {
  const std::string family = Family(status.code());
  const auto& service = status.service_error();
  std::string what;
  if (service && (!service->code.empty() || !service->message.empty())) {
    what = CodeAndMessage(*service);
  } else {
    what = status.message();
  }
  // The caller's own mistakes read best as the library words them.
  const bool plain = status.code() == StatusCode::kInvalidArgument ||
                     status.code() == StatusCode::kFailedPrecondition;
  std::string line = plain || StartsWith(what, family) ? what : family + ": " + what;

  std::string extra;
  auto add = [&extra](const std::string& part) { extra += (extra.empty() ? "" : ", ") + part; };
  if (status.http_status() != 0) {
    const std::string http = "HTTP " + std::to_string(status.http_status());
    if (line.find(http) == std::string::npos) add(http);
  }
  if (service && !service->request_id.empty()) add("request id " + service->request_id);
  if (!extra.empty()) line += " (" + extra + ")";
  return line;
}

std::vector<std::string> ErrorDetails(const Status& status) {
  std::vector<std::string> lines;
  lines.push_back(std::string("  status: ") + StatusCodeName(status.code()) + ": " +
                  status.message());
  if (const auto& service = status.service_error()) {
    if (!service->target.empty()) lines.push_back("  target: " + service->target);
    if (service->related_resource) {
      lines.push_back("  resource: " + service->related_resource->resource_id + " (" +
                      service->related_resource->resource_type + ")");
    }
    if (service->is_retriable) {
      lines.push_back(std::string("  retriable: ") + (*service->is_retriable ? "yes" : "no"));
    }
    AddDetailLines(*service, "  ", lines);
    if (!service->inner_error_json.empty()) {
      lines.push_back("  inner error: " + service->inner_error_json);
    }
  }
  return lines;
}

boost::json::object ErrorToJson(const Status& status) {
  boost::json::object out;
  out["code"] = StatusCodeName(status.code());
  out["message"] = status.message();
  if (status.http_status() != 0) out["httpStatus"] = status.http_status();
  if (const auto& service = status.service_error()) {
    out["serviceError"] = ServiceErrorToJson(*service);
  }
  return out;
}

boost::json::object StateToJson(const OperationState& state) {
  boost::json::object out;
  out["status"] = StatusText(state.status);
  out["kind"] = StatusKindName(state.status.kind);
  out["known"] = state.status.known;
  out["done"] = state.done();
  if (state.percent_complete) out["percentComplete"] = *state.percent_complete;
  if (state.created) out["createdTimeUtc"] = FormatTimestamp(*state.created);
  if (state.last_updated) out["lastUpdatedTimeUtc"] = FormatTimestamp(*state.last_updated);
  if (state.error) out["error"] = ServiceErrorToJson(*state.error);
  return out;
}

boost::json::value ResultSummaryToJson(const Result& result) {
  if (!result.has_value) return nullptr;
  boost::json::object out;
  out["httpStatus"] = result.http_status;
  out["contentType"] = result.content_type;
  out["bytes"] = result.body.size();
  return out;
}

std::string StatusText(const LroStatus& status) {
  return status.raw.empty() ? StatusKindName(status.kind) : status.raw;
}

std::string FormatTimestamp(Timestamp time) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  auto whole = duration_cast<seconds>(since_epoch);
  auto millis = (since_epoch - whole).count();
  if (millis < 0) {
    whole -= seconds(1);
    millis += 1000;
  }
  const std::time_t t = static_cast<std::time_t>(whole.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

std::string FormatElapsed(std::chrono::milliseconds elapsed) {
  const long long total = elapsed.count() < 0 ? 0 : elapsed.count() / 1000;
  const long long hours = total / 3600;
  const long long minutes = (total / 60) % 60;
  const long long seconds = total % 60;
  char buffer[64];
  if (hours > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", hours, minutes, seconds);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", minutes, seconds);
  }
  return buffer;
}

}  // namespace lro::cli
