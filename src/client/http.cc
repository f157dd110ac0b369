#include "lro/http.h"

#include <cctype>

namespace lro {

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (header.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(header.name[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return std::string_view(header.value);
  }
  return std::nullopt;
}

}  // namespace lro
