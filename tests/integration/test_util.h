// Helpers shared by the integration tests: a router for TestHttpServer handlers, a gate that
// holds answers back, and client options that poll fast.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gate.h"
#include "lro/http.h"
#include "lro/options.h"
#include "test_http_server.h"

namespace lro::test {

// A response with a JSON body.
inline HttpResponse JsonResponse(int status, std::string body, Headers headers = {}) {
  headers.push_back({"Content-Type", "application/json"});
  return HttpResponse{status, std::move(headers), std::move(body)};
}

// The path of a request target, without its query.
inline std::string PathOf(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

// The value of header `name` in a recorded request, or "" when absent.
inline std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  auto value = FindHeader(request.headers, name);
  return value ? std::string(*value) : std::string();
}

// Answers by method and path; each route sees how many times it was called before (0 first).
// Unrouted requests get 404. Thread-safe; the base URL is set once the server is listening.
class Routes {
 public:
  using Route = std::function<HttpResponse(const HttpRequest& request, int call)>;

  void On(const std::string& method, const std::string& path, Route route) {
    std::lock_guard lock(mutex_);
    routes_[{method, path}] = Entry{std::move(route), 0};
  }

  void set_base(std::string base) {
    std::lock_guard lock(mutex_);
    base_ = std::move(base);
  }
  std::string base() const {
    std::lock_guard lock(mutex_);
    return base_;
  }

  TestHttpServer::Handler handler() {
    return [this](const HttpRequest& request) { return Answer(request); };
  }

 private:
  struct Entry {
    Route route;
    int calls = 0;
  };

  HttpResponse Answer(const HttpRequest& request) {
    Route route;
    int call = 0;
    {
      std::lock_guard lock(mutex_);
      auto it = routes_.find({request.method, PathOf(request.url)});
      if (it == routes_.end()) {
        return JsonResponse(404, R"({"errorCode":"EntityNotFound","message":"no route"})");
      }
      route = it->second.route;
      call = it->second.calls++;
    }
    return route(request, call);
  }

  mutable std::mutex mutex_;
  std::string base_;
  std::map<std::pair<std::string, std::string>, Entry> routes_;
};

// A server with its router: routes can build absolute links from base().
struct RoutedServer {
  Routes routes;
  TestHttpServer server{routes.handler()};
  RoutedServer() { routes.set_base(server.base_url()); }
  std::string base() const { return server.base_url(); }
};

// Client options that poll and retry within milliseconds, so the suite is quick; nothing
// asserts on timing.
inline ClientOptions FastClientOptions() {
  ClientOptions options;
  options.polling = PollingPolicy::Fixed(std::chrono::milliseconds(2));
  options.polling.floor = std::chrono::milliseconds(1);
  options.retry.max_attempts = 3;
  options.retry.initial = std::chrono::milliseconds(1);
  options.retry.multiplier = 1.0;
  options.retry.max = std::chrono::milliseconds(5);
  options.retry.jitter = 0.0;
  options.random_seed = 7;
  return options;
}

// The value of `future`, waited for at most 30 s, so that a broken engine fails the test
// instead of hanging it.
template <typename T>
T Await(std::shared_future<T> future) {
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "no completion within 30 s";
    std::abort();
  }
  return future.get();
}
template <typename T>
T Await(std::future<T> future) {
  return Await(future.share());
}

}  // namespace lro::test
