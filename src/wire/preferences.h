// Preferences (RFC 7240): the values of Prefer and Preference-Applied headers. Internal.
#pragma once

#include <optional>
#include <string_view>

namespace lro::wire {

// The value of preference `name` in a Prefer or Preference-Applied header value
// ("respond-async, wait=10"): unquoted and trimmed, "" for a preference without one, nullopt
// when `name` is not there. Names compare in any case; the first preference of that name
// counts; a preference's own parameters (after ';') are ignored.
std::optional<std::string_view> FindPreference(std::string_view header_value,
                                               std::string_view name);

}  // namespace lro::wire
