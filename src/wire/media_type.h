// Media types. Internal.
#pragma once

#include <string_view>

namespace lro::wire {

// True when a Content-Type value names JSON: application/json, text/json or any +json type,
// in any case, parameters and blanks ignored ("Application/JSON; charset=utf-8"). The one
// rule client and server follow.
bool IsJsonMediaType(std::string_view content_type);

}  // namespace lro::wire
