// HTTP-dates (RFC 9110 §5.6.7): written as IMF-fixdate, read in all three forms. The one copy
// client (Retry-After, Repeatability-First-Sent) and server (Repeatability-First-Sent) use.
// Internal.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lro::wire {

// "Sun, 06 Nov 1994 08:49:37 GMT": `when`, truncated to the second.
std::string ImfFixdate(std::chrono::system_clock::time_point when);

// An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime), surrounding blanks
// allowed, as seconds since the epoch: years 0 to 9999 fit. nullopt when malformed.
std::optional<std::chrono::sys_seconds> ParseHttpDateSeconds(std::string_view text);

// ParseHttpDate, pinned to the range of system_clock (years 1678 to 2262).
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// Only the IMF-fixdate form, exactly ("Sun, 06 Nov 1994 08:49:37 GMT"); nullopt otherwise.
std::optional<std::chrono::sys_seconds> ParseImfFixdate(std::string_view text);

}  // namespace lro::wire
