#include "lro/http.h"

#include "wire/ascii.h"

namespace lro {

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (wire::EqualsIgnoreCase(header.name, name)) return std::string_view(header.value);
  }
  return std::nullopt;
}

}  // namespace lro
