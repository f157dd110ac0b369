#include "runtime/router.h"

namespace lro::server::internal {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  if (!path.empty() && path.front() == '/') start = 1;
  while (start <= path.size()) {
    const std::size_t end = path.find('/', start);
    const std::size_t stop = end == std::string_view::npos ? path.size() : end;
    segments.push_back(path.substr(start, stop - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

Route& Router::Add(std::string method, std::string pattern, RouteOptions options, Handler handler) {
  auto route = std::make_unique<Route>();
  route->method = std::move(method);
  for (auto segment : Split(pattern)) route->segments.emplace_back(segment);
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->handler = std::move(handler);
  routes_.push_back(std::move(route));
  return *routes_.back();
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  const auto segments = Split(path);
  Match result;
  for (const auto& route : routes_) {
    if (route->segments.size() != segments.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      const std::string& pattern = route->segments[i];
      if (IsParam(pattern)) {
        if (segments[i].empty()) {
          matches = false;
        } else {
          params.emplace(pattern.substr(1, pattern.size() - 2), std::string(segments[i]));
        }
      } else {
        matches = pattern == segments[i];
      }
    }
    if (!matches) continue;
    if (route->method != method) {
      result.kind = MatchKind::kWrongMethod;
      continue;
    }
    result.kind = MatchKind::kFound;
    result.route = route.get();
    result.params = std::move(params);
    return result;
  }
  return result;
}

Route* Router::ByType(std::string_view type) const {
  for (const auto& route : routes_) {
    if (route->options.operation_type == type) return route.get();
  }
  return nullptr;
}

}  // namespace lro::server::internal
