// An in-process HTTP/1.1 server on 127.0.0.1 for integration tests: real sockets, real
// parsing (Boost.Beast), answers from a handler the test supplies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lro/http.h"

namespace lro::test {

class TestHttpServer {
 public:
  // Gets the request with `url` set to the request target as received (path + query, e.g.
  // "/ops/1?api-version=2"); returns the answer. Runs on the server's threads: must be
  // thread-safe.
  using Handler = std::function<HttpResponse(const HttpRequest& request)>;

  // Listens on 127.0.0.1 on an ephemeral port and serves at once. Keep-alive is supported.
  explicit TestHttpServer(Handler handler);
  // Stops accepting, closes connections, joins its threads.
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;
  TestHttpServer(TestHttpServer&&) = delete;
  TestHttpServer& operator=(TestHttpServer&&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT"
  std::string base_url() const;
  // Every request received so far, in arrival order (url = target as received).
  std::vector<HttpRequest> requests() const;
  // Number of TCP connections accepted so far (to check connection reuse).
  int connections_accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lro::test
