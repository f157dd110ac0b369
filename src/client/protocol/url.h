// URL handling: one resolver, one origin rule. Internal: subject to change.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lro/status.h"

namespace lro::internal {

// Resolves `reference` (absolute or relative) against the absolute `base` (RFC 3986 §5).
// kProtocolError when either is malformed or the result is not http(s).
StatusOr<std::string> ResolveUrl(std::string_view base, std::string_view reference);

// Checks that `url` is an absolute http or https URL. kInvalidArgument otherwise.
Status ValidateAbsoluteUrl(std::string_view url);

// "scheme://host[:port]" with the default port dropped and scheme and host lowercased;
// empty when `url` is malformed.
std::string Origin(std::string_view url);
// Lowercase host; empty when malformed.
std::string Host(std::string_view url);
// Lowercase scheme; empty when malformed.
std::string Scheme(std::string_view url);

// The value of the query parameter `name` (decoded), or nullopt.
std::optional<std::string> QueryParameter(std::string_view url, std::string_view name);
// `url` with `name=value` appended when it has no `name` parameter; unchanged otherwise.
std::string WithQueryParameterIfAbsent(std::string_view url, std::string_view name,
                                       std::string_view value);

// SPEC §8: may a request to `target` carry credentials, for an operation whose initial
// request went to `initial`? Yes for the same origin, or an https host matching one of
// `allowed_hosts` ("host" or "*.suffix"); never from https down to http.
bool MayReceiveCredentials(std::string_view initial, std::string_view target,
                           const std::vector<std::string>& allowed_hosts);

}  // namespace lro::internal

namespace lro::internal {

// `url` with `suffix` appended to its path, before any query ("…/operations/1" + ":cancel").
std::string AppendToPath(std::string_view url, std::string_view suffix);

// `url` fit for a log line: query values other than api-version replaced by "REDACTED" (a
// SAS signature or key in a polling URL is a credential), capped in length.
std::string RedactUrl(std::string_view url);

}  // namespace lro::internal
