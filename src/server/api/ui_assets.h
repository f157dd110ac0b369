// The files of lrod's operations page (/ui), compiled into the binary from src/server/ui/.
#pragma once

#include <cstddef>
#include <string_view>

namespace lro::server::internal {

struct UiAsset {
  std::string_view path;  // "/ui", "/ui/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path` ("/ui/" is "/ui"); null when there is none.
const UiAsset* FindUiAsset(std::string_view path);

// The Content-Security-Policy of every /ui answer: nothing but lrod's own files and API.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace lro::server::internal
