#include "client/protocol/request_decorator.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "client/protocol/url.h"
#include "wire/ascii.h"
#include "wire/credential_headers.h"
#include "wire/http_date.h"

namespace lro::internal {
namespace {

constexpr std::size_t kMaxCookiesPerHost = 32;
constexpr std::size_t kMaxCookieBytes = 4096;

// Headers that describe the initial request's body or make it conditional or idempotent:
// repeating them on a GET poll would be wrong.
bool IsNotCarried(std::string_view name) {
  return wire::EqualsAnyIgnoreCase(
      name,
      {"content-type", "content-length", "content-encoding", "content-md5", "content-language",
       "transfer-encoding", "host", "connection", "expect", "te", "upgrade",
       "repeatability-request-id", "repeatability-first-sent", "operation-id", "idempotency-key",
       "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"});
}

// ImfFixdate(wall_now), remembered for the second it names: operations started together
// (thousands a second) share it, and formatting a date costs more than the rest of a start.
std::string FirstSentDate(std::chrono::system_clock::time_point wall_now) {
  struct Formatted {
    std::chrono::sys_seconds second{std::chrono::sys_seconds::min()};
    std::string text;
  };
  thread_local Formatted last;
  const auto second = std::chrono::floor<std::chrono::seconds>(wall_now);
  if (second != last.second) last = Formatted{second, wire::ImfFixdate(wall_now)};
  return last.text;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

RequestDecorator::RequestDecorator(const HttpRequest& initial, const MachineConfig& config)
    : initial_origin_(Origin(initial.url)),
      api_version_(QueryParameter(initial.url, "api-version").value_or("")) {
  for (const auto& header : initial.headers) {
    const bool sensitive =
        wire::IsCredentialHeader(header.name) ||
        std::any_of(
            config.sensitive_headers.begin(), config.sensitive_headers.end(),
            [&](const std::string& name) { return wire::EqualsIgnoreCase(header.name, name); });
    if (sensitive) {
      credential_headers_.push_back(header);
    } else if (!IsNotCarried(header.name)) {
      carried_headers_.push_back(header);
    }
  }
}

HttpRequest RequestDecorator::Build(std::string method, std::string url,
                                    const MachineConfig& config) const {
  if (config.options.propagate_api_version && !api_version_.empty()) {
    url = WithQueryParameterIfAbsent(url, "api-version", api_version_);
  }
  HttpRequest request{std::move(method), std::move(url), carried_headers_, {}};
  if (!credential_headers_.empty() && CredentialsAllowed(request.url, config)) {
    request.headers.insert(request.headers.end(), credential_headers_.begin(),
                           credential_headers_.end());
  }
  AddCookies(request);
  return request;
}

void RequestDecorator::AddCookies(HttpRequest& request) const {
  if (cookies_.empty()) return;
  const auto jar = cookies_.find(Host(request.url));
  if (jar == cookies_.end() || jar->second.empty()) return;
  std::string cookie;
  for (const auto& [name, value] : jar->second) {
    if (!cookie.empty()) cookie += "; ";
    cookie.append(name).append("=").append(value);
  }
  // One Cookie header: the caller's own cookies first, then those the service set.
  for (auto& header : request.headers) {
    if (wire::EqualsIgnoreCase(header.name, "cookie")) {
      header.value += "; " + cookie;
      return;
    }
  }
  request.headers.push_back({"Cookie", std::move(cookie)});
}

void RequestDecorator::RecordCookies(const Headers& headers, std::string_view request_url) {
  if (!FindHeader(headers, "Set-Cookie")) return;
  const std::string host = Host(request_url);
  if (host.empty()) return;
  for (const auto& header : headers) {
    if (!wire::EqualsIgnoreCase(header.name, "set-cookie") ||
        header.value.size() > kMaxCookieBytes) {
      continue;
    }
    const std::string_view text = header.value;
    const std::string_view pair = text.substr(0, text.find(';'));
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    const std::string name(Trim(pair.substr(0, equals)));
    const std::string value(Trim(pair.substr(equals + 1)));
    auto& jar = cookies_[host];
    const std::string attributes = wire::AsciiLower(text.substr(pair.size()));
    if (attributes.find("max-age=0") != std::string::npos) {
      jar.erase(name);
    } else if (jar.size() < kMaxCookiesPerHost || jar.count(name) != 0) {
      jar[name] = value;
    }
  }
}

bool RequestDecorator::CredentialsAllowed(std::string_view url, const MachineConfig& config) const {
  // The common case without parsing: a URL on the initial origin, spelled as it was.
  if (url.size() > initial_origin_.size() &&
      url.compare(0, initial_origin_.size(), initial_origin_) == 0 &&
      (url[initial_origin_.size()] == '/' || url[initial_origin_.size()] == '?')) {
    return true;
  }
  return MayReceiveCredentials(initial_origin_, url, config.allowed_credential_hosts);
}

bool HasIdempotencyKey(const Headers& headers) {
  return (FindHeader(headers, "Repeatability-Request-ID") &&
          FindHeader(headers, "Repeatability-First-Sent")) ||
         FindHeader(headers, "Idempotency-Key") || FindHeader(headers, "Operation-Id");
}

void AddRepeatabilityHeaders(HttpRequest& initial, const IdSource& new_id,
                             std::chrono::system_clock::time_point wall_now) {
  if (!wire::EqualsIgnoreCase(initial.method, "post") || HasIdempotencyKey(initial.headers)) {
    return;
  }
  initial.headers.reserve(initial.headers.size() + 2);
  if (!FindHeader(initial.headers, "Repeatability-Request-ID")) {
    initial.headers.push_back({"Repeatability-Request-ID", new_id()});
  }
  initial.headers.push_back({"Repeatability-First-Sent", FirstSentDate(wall_now)});
}

}  // namespace lro::internal
