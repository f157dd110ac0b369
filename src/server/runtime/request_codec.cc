#include "runtime/request_codec.h"

#include <boost/json.hpp>

#include "common/json_text.h"
#include "wire/credential_headers.h"

namespace lro::server::internal {
namespace {

// Headers a re-run must not see (credentials) or has no use for (transport, idempotency).
bool IsNotReplayed(std::string_view name) {
  return wire::IsCredentialHeader(name) ||
         wire::EqualsAnyIgnoreCase(
             name, {"host", "content-length", "connection", "user-agent", "accept",
                    "accept-encoding", "keep-alive", "idempotency-key", "repeatability-request-id",
                    "repeatability-first-sent", "operation-id", "x-ms-client-request-id"});
}

// The request a re-run replays, without credentials: {"method","path","query","body",
// "headers":[[name,value],…]} (what DecodeRequest reads). Written directly, without a DOM: it is
// built on the HTTP thread for every create of an idempotent route.
}  // namespace

std::string EncodeRequest(const Request& request) {
  std::string out;
  std::size_t size =
      64 + request.method.size() + request.path.size() + request.query.size() + request.body.size();
  for (const auto& header : request.headers) size += 8 + header.name.size() + header.value.size();
  out.reserve(size + size / 8);
  out += "{\"method\":";
  AppendJsonString(out, request.method);
  out += ",\"path\":";
  AppendJsonString(out, request.path);
  out += ",\"query\":";
  AppendJsonString(out, request.query);
  out += ",\"body\":";
  AppendJsonString(out, request.body);
  out += ",\"headers\":[";
  bool first = true;
  for (const auto& header : request.headers) {
    if (IsNotReplayed(header.name)) continue;
    if (!first) out += ',';
    first = false;
    out += '[';
    AppendJsonString(out, header.name);
    out += ',';
    AppendJsonString(out, header.value);
    out += ']';
  }
  out += "]}";
  return out;
}

std::optional<Request> DecodeRequest(std::string_view text) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.get_object();
  auto string_at = [&](std::string_view key) -> std::optional<std::string> {
    const auto* field = object.if_contains(key);
    if (field == nullptr || !field->is_string()) return std::nullopt;
    return std::string(field->get_string());
  };
  auto method = string_at("method");
  auto path = string_at("path");
  if (!method || !path) return std::nullopt;
  Request request;
  request.method = std::move(*method);
  request.path = std::move(*path);
  request.query = string_at("query").value_or("");
  request.body = string_at("body").value_or("");
  if (const auto* headers = object.if_contains("headers"); headers && headers->is_array()) {
    for (const auto& item : headers->get_array()) {
      if (!item.is_array() || item.get_array().size() != 2 || !item.get_array()[0].is_string() ||
          !item.get_array()[1].is_string()) {
        continue;
      }
      request.headers.push_back({std::string(item.get_array()[0].get_string()),
                                 std::string(item.get_array()[1].get_string())});
    }
  }
  return request;
}

}  // namespace lro::server::internal
