#include "wire/preferences.h"

#include "wire/ascii.h"

namespace lro::wire {
namespace {

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string_view> FindPreference(std::string_view header_value,
                                               std::string_view name) {
  std::string_view rest = header_value;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    item = item.substr(0, item.find(';'));  // the preference's own parameters
    const std::size_t equals = item.find('=');
    if (!EqualsIgnoreCase(TrimBlanks(item.substr(0, equals)), name)) continue;
    if (equals == std::string_view::npos) return std::string_view();
    std::string_view value = TrimBlanks(item.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace lro::wire
