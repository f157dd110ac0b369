// Case-insensitive text helpers for protocol tokens (header names, URL schemes and hosts,
// status values, media types): ASCII only and locale-free, as HTTP defines them. The one copy
// client and server use. Internal.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace lro::wire {

constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// True when `text` equals one of `names` case-insensitively.
constexpr bool EqualsAnyIgnoreCase(std::string_view text,
                                   std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (EqualsIgnoreCase(text, name)) return true;
  }
  return false;
}

}  // namespace lro::wire
