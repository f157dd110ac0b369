// The request decorator: what goes on every request of an operation besides its method and
// URL (SPEC §3, §6, §8): the caller's headers that repeat, credentials only where they may
// go, the cookies the service set, api-version, and the idempotency key of a POST.
// Internal: subject to change.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "client/protocol/machine_config.h"
#include "lro/http.h"

namespace lro::internal {

class RequestDecorator {
 public:
  RequestDecorator() = default;
  // Sorts the caller's headers on `initial`: credentials (IsCredentialHeader, or one of
  // config.sensitive_headers) are scoped; headers about the initial request's body or
  // conditions (Content-*, If-*, idempotency keys, hop-by-hop) are not repeated; the rest are.
  RequestDecorator(const HttpRequest& initial, const MachineConfig& config);

  // A request of the operation after the initial one: the repeated headers, the credential
  // headers where CredentialsAllowed, the cookies, and the initial api-version when
  // config.options.propagate_api_version and `url` has none.
  [[nodiscard]] HttpRequest Build(std::string method, std::string url,
                                  const MachineConfig& config) const;
  // Adds the cookies the service set for the request's host to its one Cookie header, after
  // the caller's own.
  void AddCookies(HttpRequest& request) const;
  // Keeps the Set-Cookie values of an answer from `request_url`'s host (at most 32 per host,
  // 4 KiB each; Max-Age=0 deletes).
  void RecordCookies(const Headers& headers, std::string_view request_url);
  // SPEC §8: the initial request's origin, or an https host config.allowed_credential_hosts
  // names; never from https down to http.
  [[nodiscard]] bool CredentialsAllowed(std::string_view url, const MachineConfig& config) const;

  // The repeated headers (what a resume token keeps: no credential is among them).
  [[nodiscard]] const Headers& carried_headers() const { return carried_headers_; }
  [[nodiscard]] const std::string& api_version() const { return api_version_; }
  void set_api_version(std::string api_version) { api_version_ = std::move(api_version); }

 private:
  std::string initial_origin_;
  std::string api_version_;     // from the initial URL, added to polling URLs lacking one
  Headers carried_headers_;     // caller headers repeated on every request (not credentials)
  Headers credential_headers_;  // caller headers that are credentials: scoped by SPEC §8
  std::map<std::string, std::map<std::string, std::string>> cookies_;  // host → name → value
};

// True when the caller's headers carry an idempotency key (SPEC §6): both Repeatability
// headers, Idempotency-Key or Operation-Id.
bool HasIdempotencyKey(const Headers& headers);

// When `initial` is a POST without an idempotency key: adds Repeatability-Request-ID (from
// `new_id`, unless the caller gave one) and Repeatability-First-Sent (`wall_now`), which every
// retry repeats, so that it can be retried. Other requests are left as they are.
void AddRepeatabilityHeaders(HttpRequest& initial, const IdSource& new_id,
                             std::chrono::system_clock::time_point wall_now);

}  // namespace lro::internal
