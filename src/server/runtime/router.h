// Routes registered by services: method + path pattern → handler.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lro/server/handler.h"

namespace lro::server::internal {

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // "{name}" = a parameter
  RouteOptions options;
  Handler handler;
  int executor_class = 0;  // set when the runtime starts
  int retry_after_s = 1;   // resolved: ServerOptions override, else options.retry_after
};

class Router {
 public:
  enum class MatchKind { kFound, kNoPath, kWrongMethod };
  struct Match {
    MatchKind kind = MatchKind::kNoPath;
    Route* route = nullptr;
    std::map<std::string, std::string, std::less<>> params;
  };

  Route& Add(std::string method, std::string pattern, RouteOptions options, Handler handler);
  [[nodiscard]] Match Find(std::string_view method, std::string_view path) const;
  // The first route starting operations of `type`, or null.
  [[nodiscard]] Route* ByType(std::string_view type) const;
  [[nodiscard]] const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace lro::server::internal
