// Timestamps as lrod writes them. (HTTP-dates and durations: wire/http_date.h, wire/duration.h.)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lro::server::internal {

// Milliseconds since the Unix epoch.
std::int64_t ToUnixMs(std::chrono::system_clock::time_point time);

// "2023-11-13T22:24:40.477Z" (UTC, milliseconds).
void AppendIso8601(std::string& out, std::int64_t unix_ms);
std::string Iso8601(std::int64_t unix_ms);

}  // namespace lro::server::internal
