// Durations as people type them in flags and configuration. Internal.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace lro::wire {

// "250ms", "30s", "5m", "24h", "7d" or a bare number of seconds → milliseconds. At most 15
// digits, so no value overflows. nullopt for anything else ("1.5s", "h", "-3", "").
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace lro::wire
