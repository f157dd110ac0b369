#include "client/protocol/resume_token.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "client/protocol/url.h"

namespace lro::internal {
namespace {

constexpr std::string_view kMarker = "resume-token";
constexpr std::size_t kMaxTokenBytes = 1U << 20U;
constexpr std::size_t kMaxInlineResult = std::size_t{64} * 1024;

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0U) == 0xC0U && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0U) == 0xE0U) {
      extra = 2;
    } else if ((c & 0xF8U) == 0xF0U && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (extra > 0 && i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0U) != 0x80U) return false;
    }
    i += extra + 1;
  }
  return true;
}

Status Invalid(const std::string& why) {
  return Status(StatusCode::kInvalidArgument, "invalid resume token: " + why);
}

}  // namespace

std::string EncodeResumeToken(const ResumeTokenFields& fields) {
  boost::json::object token;
  token["lro"] = kMarker;
  token["version"] = kResumeTokenVersion;
  token["kind"] = kHttpOperationKind;
  token["method"] = fields.method;
  token["originalUrl"] = fields.original_url;
  token["mode"] = fields.mode;
  token["phase"] = fields.phase;
  if (!fields.monitor_url.empty()) token["monitorUrl"] = fields.monitor_url;
  if (!fields.location.empty()) token["location"] = fields.location;
  if (!fields.final_url.empty()) token["finalUrl"] = fields.final_url;
  if (!fields.api_version.empty()) token["apiVersion"] = fields.api_version;
  if (!fields.status.empty()) token["status"] = fields.status;
  boost::json::array headers;
  for (const auto& header : fields.headers) {
    if (IsValidUtf8(header.name) && IsValidUtf8(header.value)) {
      headers.push_back(
          boost::json::array{boost::json::string(header.name), boost::json::string(header.value)});
    }
  }
  if (!headers.empty()) token["headers"] = std::move(headers);
  if (fields.phase == "done") {
    token["succeeded"] = fields.succeeded;
    if (fields.result && fields.result->body.size() <= kMaxInlineResult &&
        IsValidUtf8(fields.result->body)) {
      token["result"] = {{"status", fields.result->http_status},
                         {"contentType", fields.result->content_type},
                         {"body", fields.result->body}};
    }
    if (!fields.error_message.empty()) token["error"] = fields.error_message;
  }
  return boost::json::serialize(token);
}

StatusOr<ResumeTokenFields> DecodeResumeToken(std::string_view text) {
  if (text.size() > kMaxTokenBytes) return Invalid("longer than 1 MiB");
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec) return Invalid("not JSON (" + ec.message() + ")");
  const auto* token = value.if_object();
  if (token == nullptr) return Invalid("not a JSON object");
  auto string_of = [&](std::string_view key) -> std::optional<std::string> {
    const auto* field = token->if_contains(key);
    if (field == nullptr || !field->is_string()) return std::nullopt;
    return std::string(field->get_string());
  };
  if (string_of("lro") != std::string(kMarker)) return Invalid("not an lro resume token");
  const auto* version = token->if_contains("version");
  if (version == nullptr || !version->is_int64()) return Invalid("no version");
  if (version->get_int64() != kResumeTokenVersion) {
    return Invalid("version " + std::to_string(version->get_int64()) +
                   " is not supported (this library reads version " +
                   std::to_string(kResumeTokenVersion) + ")");
  }
  const auto kind = string_of("kind");
  if (kind != std::string(kHttpOperationKind)) {
    return Invalid("it is for operation kind '" + kind.value_or("?") + "', not '" +
                   std::string(kHttpOperationKind) + "'");
  }
  ResumeTokenFields fields;
  auto required = [&](std::string_view key, std::string& out) -> Status {
    auto field = string_of(key);
    if (!field || field->empty()) return Invalid("missing " + std::string(key));
    out = std::move(*field);
    return Status();
  };
  for (auto [key, out] :
       {std::pair{"method", &fields.method}, std::pair{"originalUrl", &fields.original_url},
        std::pair{"mode", &fields.mode}, std::pair{"phase", &fields.phase}}) {
    if (auto status = required(key, *out); !status.ok()) return status;
  }
  fields.monitor_url = string_of("monitorUrl").value_or("");
  fields.location = string_of("location").value_or("");
  fields.final_url = string_of("finalUrl").value_or("");
  fields.api_version = string_of("apiVersion").value_or("");
  fields.status = string_of("status").value_or("");
  for (const std::string* url :
       {&fields.original_url, &fields.monitor_url, &fields.location, &fields.final_url}) {
    if (!url->empty() && !ValidateAbsoluteUrl(*url).ok()) {
      return Invalid("not an absolute http(s) URL: " + url->substr(0, 200));
    }
  }
  if (fields.phase != "polling" && fields.phase != "final" && fields.phase != "done") {
    return Invalid("unknown phase '" + fields.phase + "'");
  }
  if (const auto* headers = token->if_contains("headers")) {
    if (!headers->is_array()) return Invalid("headers is not an array");
    for (const auto& item : headers->get_array()) {
      const auto* pair = item.if_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
          !(*pair)[1].is_string()) {
        return Invalid("a header is not a [name, value] pair");
      }
      fields.headers.push_back(
          {std::string((*pair)[0].get_string()), std::string((*pair)[1].get_string())});
    }
  }
  if (fields.phase == "done") {
    const auto* succeeded = token->if_contains("succeeded");
    fields.succeeded = succeeded != nullptr && succeeded->is_bool() && succeeded->get_bool();
    fields.error_message = string_of("error").value_or("");
    if (const auto* result = token->if_contains("result");
        result != nullptr && result->is_object()) {
      Result out;
      out.has_value = true;
      const auto& object = result->get_object();
      if (const auto* status = object.if_contains("status"); status && status->is_int64()) {
        out.http_status = static_cast<int>(status->get_int64());
      }
      if (const auto* type = object.if_contains("contentType"); type && type->is_string()) {
        out.content_type = std::string(type->get_string());
      }
      if (const auto* body = object.if_contains("body"); body && body->is_string()) {
        out.body = std::string(body->get_string());
      }
      fields.result = std::move(out);
    }
  }
  return fields;
}

}  // namespace lro::internal
