// The parts of an absolute http(s) URL, read without Boost.URL when the URL is of the plain
// shape servers and callers send almost always. Internal: subject to change.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lro::internal {

// Views into the URL read.
struct UrlParts {
  std::string_view scheme;     // as written ("http", "HTTPS")
  std::string_view authority;  // between "//" and the path
  std::string_view host;       // as written
  bool has_port = false;
  std::string_view port;  // the digits, when has_port
  std::uint16_t port_number = 0;
  std::string_view path;  // up to the query or fragment; empty or starting with '/'
};

// The parts of `url` when it is an absolute http or https URL of the plain shape: a scheme of
// http or https (any case), "//", a host of letters, digits, '-', '.', '_' and '~' with at
// most a port of 1 to 5 digits (≤ 65535), then a path, query and fragment of RFC 3986's
// characters (unreserved, sub-delims, ':', '@', '/', '?', valid %XX escapes; one '#'). Every
// URL it accepts is one RFC 3986 (and Boost.URL) accepts, with these parts; nullopt means
// "not this shape": the URL may still be valid (userinfo, IP literals, an empty port…), and
// then only the full parser can say.
std::optional<UrlParts> SplitPlainUrl(std::string_view url);

}  // namespace lro::internal
