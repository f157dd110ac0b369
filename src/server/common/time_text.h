// Timestamps as lrod writes and reads them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lro::server::internal {

// Milliseconds since the Unix epoch.
std::int64_t ToUnixMs(std::chrono::system_clock::time_point time);

// "2023-11-13T22:24:40.477Z" (UTC, milliseconds).
void AppendIso8601(std::string& out, std::int64_t unix_ms);
std::string Iso8601(std::int64_t unix_ms);

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate, RFC 9110).
std::string ImfFixdate(std::int64_t unix_ms);
// Parses an IMF-fixdate; nullopt for anything else. Returns Unix milliseconds.
std::optional<std::int64_t> ParseImfFixdate(std::string_view text);

// "250ms", "30s", "5m", "24h", "7d" or a bare number of seconds → milliseconds.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace lro::server::internal
