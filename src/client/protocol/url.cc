#include "client/protocol/url.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <string>
#include <utility>

#include "client/protocol/url_parts.h"
#include "wire/ascii.h"

namespace lro::internal {
namespace {

bool IsHttpScheme(std::string_view scheme) {
  const auto lower = wire::AsciiLower(scheme);
  return lower == "http" || lower == "https";
}

// `text` as an absolute http(s) URL with a host, by Boost.URL.
std::optional<boost::urls::url_view> ParseAbsoluteFully(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed || !IsHttpScheme(parsed->scheme()) || parsed->encoded_host().empty()) {
    return std::nullopt;
  }
  return *parsed;
}

// The parts of `text` as an absolute http(s) URL with a host. A plain URL is read by hand
// (SplitPlainUrl): Boost.URL costs ~3,600 instructions a URL, and an operation's start reads
// its URLs several times (validation, origin, the monitor link).
std::optional<UrlParts> ParseAbsolute(std::string_view text) {
  if (auto plain = SplitPlainUrl(text)) return plain;
  const auto parsed = ParseAbsoluteFully(text);
  if (!parsed) return std::nullopt;
  UrlParts parts;
  parts.scheme = parsed->scheme();
  parts.authority = parsed->encoded_authority();
  parts.host = parsed->encoded_host();
  parts.has_port = parsed->has_port();
  parts.port = parsed->port();
  parts.port_number = parsed->port_number();
  parts.path = parsed->encoded_path();
  return parts;
}

bool HostMatches(const std::string& host, const std::string& pattern_in) {
  const std::string pattern = wire::AsciiLower(pattern_in);
  if (pattern.rfind("*.", 0) == 0) {
    const std::string suffix = pattern.substr(1);  // ".analysis.windows.net"
    return host.size() > suffix.size() &&
           host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return host == pattern;
}

// True when `reference` is an absolute http(s) URL that resolving and normalizing would give
// back unchanged: lower-case scheme and host, no percent-encoding in the authority, no "." or
// ".." path segments. Servers send such links almost always; they skip the full resolution.
bool IsAlreadyResolved(std::string_view reference) {
  if (!reference.starts_with("https://") && !reference.starts_with("http://")) return false;
  const auto parsed = ParseAbsolute(reference);
  if (!parsed) return false;
  const std::string_view authority = parsed->authority;
  if (std::any_of(authority.begin(), authority.end(),
                  [](char c) { return c == '%' || (c >= 'A' && c <= 'Z'); })) {
    return false;
  }
  const std::string_view path = parsed->path;
  for (std::size_t start = 0; start < path.size();) {
    std::size_t end = path.find('/', start + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);  // "/name"
    if (segment == "/." || segment == "/..") return false;
    start = end;
  }
  return true;
}

// `url` split at its fragment: (everything before '#', '#' and what follows it or "").
//
// Every use of Boost.URL's query-parameter views goes through the first part only. Boost.URL
// 1.81 walks past the end of an empty query into the fragment ("https://a/b?#x"): find(),
// contains() and iteration read out of bounds and crash. The parameters never depend on the
// fragment, so without it that shape cannot arise.
std::pair<std::string_view, std::string_view> SplitFragment(std::string_view url) {
  const std::size_t hash = url.find('#');
  if (hash == std::string_view::npos) return {url, {}};
  return {url.substr(0, hash), url.substr(hash)};
}

}  // namespace

StatusOr<std::string> ResolveUrl(std::string_view base, std::string_view reference) {
  if (IsAlreadyResolved(reference)) return std::string(reference);
  const auto base_url = ParseAbsoluteFully(base);
  if (!base_url) {
    return Status(StatusCode::kProtocolError, "not an absolute http(s) URL: " + std::string(base));
  }
  auto ref = boost::urls::parse_uri_reference(reference);
  if (!ref) {
    return Status(StatusCode::kProtocolError,
                  "malformed URL in response: " + std::string(reference.substr(0, 200)));
  }
  boost::urls::url resolved;
  if (auto r = boost::urls::resolve(*base_url, *ref, resolved); !r) {
    return Status(StatusCode::kProtocolError,
                  "cannot resolve URL: " + std::string(reference.substr(0, 200)));
  }
  if (!IsHttpScheme(resolved.scheme()) || resolved.encoded_host().empty()) {
    return Status(StatusCode::kProtocolError,
                  "link is not an http(s) URL: " + std::string(reference.substr(0, 200)));
  }
  resolved.normalize_scheme();
  resolved.normalize_authority();
  // RFC 3986 §5.2.4: ".." segments that would climb above the root are dropped.
  std::string path(resolved.encoded_path());
  if (path.starts_with("/..")) {
    while (path.starts_with("/../") || path == "/..") path.erase(0, 3);
    if (path.empty()) path = "/";
    resolved.set_encoded_path(path);
  }
  return std::string(resolved.buffer());
}

Status ValidateAbsoluteUrl(std::string_view url) {
  if (!ParseAbsolute(url)) {
    return Status(StatusCode::kInvalidArgument,
                  "not an absolute http(s) URL: " + std::string(url.substr(0, 200)));
  }
  return Status();
}

std::string Scheme(std::string_view url) {
  const auto parsed = ParseAbsolute(url);
  return parsed ? wire::AsciiLower(parsed->scheme) : std::string();
}

std::string Host(std::string_view url) {
  const auto parsed = ParseAbsolute(url);
  return parsed ? wire::AsciiLower(parsed->host) : std::string();
}

std::string Origin(std::string_view url) {
  const auto parsed = ParseAbsolute(url);
  if (!parsed) return {};
  const std::string scheme = wire::AsciiLower(parsed->scheme);
  std::string origin = scheme;
  origin.append("://").append(wire::AsciiLower(parsed->host));
  if (parsed->has_port) {
    const auto port = parsed->port_number;
    const bool default_port =
        (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    // Appended piece by piece: `":" + std::string(…)` inserts at the front, which g++ 12
    // reports at -O3 as an overlapping memcpy (-Wrestrict false positive, GCC bug 105651).
    if (!default_port) origin.append(":").append(parsed->port);
  }
  return origin;
}

std::optional<std::string> QueryParameter(std::string_view url, std::string_view name) {
  // Decoding can only turn '%' escapes and '+' into other characters: without them, a name
  // absent from the raw text is absent.
  // (A loop rather than find_first_of, which calls memchr once per character.)
  if (url.find(name) == std::string_view::npos &&
      std::none_of(url.begin(), url.end(), [](char c) { return c == '%' || c == '+'; })) {
    return std::nullopt;
  }
  auto parsed = boost::urls::parse_uri_reference(SplitFragment(url).first);
  if (!parsed) return std::nullopt;
  const auto params = parsed->params();
  const auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return std::string((*it).value);
}

std::string WithQueryParameterIfAbsent(std::string_view url, std::string_view name,
                                       std::string_view value) {
  const auto [before_fragment, fragment] = SplitFragment(url);
  auto parsed = boost::urls::parse_uri_reference(before_fragment);
  if (!parsed) return std::string(url);
  if (parsed->params().contains(name)) return std::string(url);
  boost::urls::url with(*parsed);
  if (with.encoded_query().empty()) with.remove_query();  // "…?" holds no parameter
  with.params().append({name, value});
  return std::string(with.buffer()) + std::string(fragment);
}

bool MayReceiveCredentials(std::string_view initial, std::string_view target,
                           const std::vector<std::string>& allowed_hosts) {
  const std::string target_scheme = Scheme(target);
  if (target_scheme.empty()) return false;
  if (Scheme(initial) == "https" && target_scheme != "https") return false;
  if (Origin(initial) == Origin(target)) return true;
  const std::string host = Host(target);
  for (const auto& pattern : allowed_hosts) {
    if (HostMatches(host, pattern)) return true;
  }
  return false;
}

}  // namespace lro::internal

namespace lro::internal {

std::string AppendToPath(std::string_view url, std::string_view suffix) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::string(url) + std::string(suffix);
  boost::urls::url with(*parsed);
  with.set_encoded_path(std::string(with.encoded_path()) + std::string(suffix));
  return std::string(with.buffer());
}

std::string RedactUrl(std::string_view url) {
  constexpr std::size_t kMaxLength = 300;
  // The fragment is dropped: it is never sent, and it may hold a token (OAuth implicit flow).
  auto parsed = boost::urls::parse_uri(SplitFragment(url).first);
  if (!parsed) return "<malformed URL>";
  boost::urls::url redacted(*parsed);
  redacted.set_userinfo("");
  redacted.remove_userinfo();
  for (auto it = redacted.params().begin(); it != redacted.params().end(); ++it) {
    auto param = *it;
    if (param.key != "api-version" && param.has_value) {
      it = redacted.params().replace(it, {param.key, "REDACTED"});
    }
  }
  std::string out(redacted.buffer());
  if (out.size() > kMaxLength) out = out.substr(0, kMaxLength) + "…";
  return out;
}

}  // namespace lro::internal
