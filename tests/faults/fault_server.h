// An HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose: for each request the test's
// handler says what to answer and how to deliver it (reset the connection, stall, cut the
// body short, drip it slowly, add header lines no parser expects). Plain POSIX sockets, one
// thread per connection, so that every byte on the wire is the test's choice.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lro/http.h"

namespace lro::test {

// How an answer reaches the client.
enum class Delivery {
  kWhole,      // status line, headers, Content-Length, body: a well-formed answer
  kReset,      // no answer: the connection is reset (RST) once the request is read
  kStall,      // no answer: the connection stays open and silent until the client leaves
  kTruncated,  // the headers announce more body than is sent, then the connection closes
  kSlow,       // a well-formed answer, its body sent a few bytes at a time with pauses
};

struct FaultReply {
  FaultReply(HttpResponse answer = {}, Delivery how = Delivery::kWhole)  // NOLINT
      : response(std::move(answer)), delivery(how) {}

  HttpResponse response;
  Delivery delivery = Delivery::kWhole;
  // Header lines sent as given after the response's headers (no "\r\n"): malformed ones too.
  std::vector<std::string> raw_header_lines;
};

class FaultServer {
 public:
  // Gets the request (url = the request target as received); runs on the connection's
  // thread, so it must be thread-safe.
  using Handler = std::function<FaultReply(const HttpRequest& request)>;

  // Listens on 127.0.0.1, ephemeral port, and serves at once. Keep-alive is supported.
  explicit FaultServer(Handler handler);
  // Closes the listener and every connection (a stalled one included), joins the threads.
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;
  FaultServer(FaultServer&&) = delete;
  FaultServer& operator=(FaultServer&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // "http://127.0.0.1:PORT"
  [[nodiscard]] std::string base_url() const;
  // Every request read so far, in arrival order.
  [[nodiscard]] std::vector<HttpRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lro::test
