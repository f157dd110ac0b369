// The HTTP/1.1 front end: Boost.Beast + Asio C++20 coroutines, one coroutine per connection.
// Kept behind this small header so that only http_server.cc pays for Beast's headers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lro/status.h"

namespace lro::server::internal {

class Api;
struct Metrics;
class Logger;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int io_threads = 1;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::size_t max_connections = 10'000;
  std::chrono::milliseconds idle_timeout{60'000};
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Metrics& metrics, Logger& logger);
  // Stop()s.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  // Binds and listens (no request is served before Start).
  Status Bind();
  [[nodiscard]] std::uint16_t port() const;
  // Serves `api` on io_threads background threads. REQUIRES: Bind() succeeded.
  void Start(Api& api);
  // Stops accepting, closes idle connections, lets in-flight requests finish (answering with
  // Connection: close), joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lro::server::internal
