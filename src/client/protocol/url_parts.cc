#include "client/protocol/url_parts.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/ascii.h"

namespace lro::internal {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The character classes below, one table lookup a character (a URL is read on every start).
enum CharClass : std::uint8_t {
  // RFC 3986 reg-name characters, less sub-delims and escapes (those go to the full parser).
  kHostChar = 1,
  // pchar / "/" / "?" without pct-encoded (RFC 3986 §3.3, §3.4, §3.5).
  kPathQueryChar = 2,
};

constexpr std::array<std::uint8_t, 256> kCharClasses = [] {
  std::array<std::uint8_t, 256> classes{};
  auto mark = [&classes](std::string_view chars, std::uint8_t bits) {
    for (const char c : chars) classes[static_cast<unsigned char>(c)] |= bits;
  };
  mark("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~",
       kHostChar | kPathQueryChar);     // alphanumerics and the other unreserved characters
  mark("!$&'()*+,;=", kPathQueryChar);  // sub-delims
  mark(":@/?", kPathQueryChar);
  return classes;
}();

bool Is(char c, CharClass char_class) {
  return (kCharClasses[static_cast<unsigned char>(c)] & char_class) != 0;
}

// RFC 3986 IPv4address: four dec-octets (0-255, no leading zero) joined by dots.
bool IsIpv4Address(std::string_view host) {
  int octets = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t start = pos;
    int value = 0;
    while (pos < host.size() && host[pos] >= '0' && host[pos] <= '9' && pos - start < 3) {
      value = value * 10 + (host[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || value > 255 || (digits > 1 && host[start] == '0')) return false;
    if (++octets == 4) return pos == host.size();
    if (pos >= host.size() || host[pos] != '.') return false;
    ++pos;
  }
}

}  // namespace

std::optional<UrlParts> SplitPlainUrl(std::string_view url) {
  UrlParts parts;
  std::size_t pos = 0;
  if (url.size() >= 7 && wire::EqualsIgnoreCase(url.substr(0, 7), "http://")) {
    parts.scheme = url.substr(0, 4);
    pos = 7;
  } else if (url.size() >= 8 && wire::EqualsIgnoreCase(url.substr(0, 8), "https://")) {
    parts.scheme = url.substr(0, 5);
    pos = 8;
  } else {
    return std::nullopt;
  }
  const std::size_t authority_start = pos;
  while (pos < url.size() && Is(url[pos], kHostChar)) ++pos;
  parts.host = url.substr(authority_start, pos - authority_start);
  if (parts.host.empty()) return std::nullopt;
  // Boost.URL 1.81 reads a host that starts with an IPv4 address as that address, the rest as
  // the path ("http://1.2.3.4.5/x": host 1.2.3.4, path ".5/x"). A host that starts with a
  // digit is read here only when it is an IPv4 address and nothing more; the full parser has
  // the rest, so both read every URL alike.
  if (parts.host.front() >= '0' && parts.host.front() <= '9' && !IsIpv4Address(parts.host)) {
    return std::nullopt;
  }
  if (pos < url.size() && url[pos] == ':') {
    const std::size_t port_start = ++pos;
    std::uint32_t number = 0;
    while (pos < url.size() && url[pos] >= '0' && url[pos] <= '9' && pos - port_start < 5) {
      number = number * 10 + static_cast<std::uint32_t>(url[pos] - '0');
      ++pos;
    }
    if (pos == port_start || number > 65535) return std::nullopt;
    parts.has_port = true;
    parts.port = url.substr(port_start, pos - port_start);
    parts.port_number = static_cast<std::uint16_t>(number);
  }
  parts.authority = url.substr(authority_start, pos - authority_start);
  if (pos < url.size() && url[pos] != '/' && url[pos] != '?' && url[pos] != '#') {
    return std::nullopt;  // userinfo, an IP literal, a longer port, or a character to escape
  }
  const std::size_t path_start = pos;
  std::size_t path_end = std::string_view::npos;
  bool in_fragment = false;
  for (; pos < url.size(); ++pos) {
    const char c = url[pos];
    if (c == '?' || c == '#') {
      if (path_end == std::string_view::npos) path_end = pos;
      if (c == '#') {
        if (in_fragment) return std::nullopt;
        in_fragment = true;
      }
      continue;
    }
    if (c == '%') {
      if (pos + 2 >= url.size() || !IsHex(url[pos + 1]) || !IsHex(url[pos + 2])) {
        return std::nullopt;
      }
      pos += 2;
      continue;
    }
    if (!Is(c, kPathQueryChar)) return std::nullopt;
  }
  if (path_end == std::string_view::npos) path_end = url.size();
  parts.path = url.substr(path_start, path_end - path_start);
  return parts;
}

}  // namespace lro::internal
