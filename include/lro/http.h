// HTTP messages and the transport interface the client sends them through.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lro/cancellation.h"
#include "lro/status.h"

namespace lro {

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};
// In order, duplicates allowed (Set-Cookie); names compare case-insensitively.
using Headers = std::vector<Header>;

// The value of the first header called `name` (case-insensitive), or nullopt.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "PUT", …
  std::string url;     // absolute
  Headers headers;
  std::string body;

  friend bool operator==(const HttpRequest&, const HttpRequest&) = default;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Sends one request and returns the whole response. Implementations must be safe to call
// from several threads at once.
class HttpTransport {
 public:
  HttpTransport() = default;
  HttpTransport(const HttpTransport&) = default;
  HttpTransport& operator=(const HttpTransport&) = default;
  HttpTransport(HttpTransport&&) = default;
  HttpTransport& operator=(HttpTransport&&) = default;
  virtual ~HttpTransport() = default;
  // Returns the response for any HTTP status (errors included). Returns
  //  - kUnavailable for a failure to connect, a reset or a timeout (transient),
  //  - kProtocolError for a malformed response or one over the body cap,
  //  - kCancelled, promptly, once `cancel` fires, in-flight transfer included.
  virtual StatusOr<HttpResponse> Send(const HttpRequest& request,
                                      const CancellationToken& cancel) = 0;
};

// The engine's kind of transport: starts sending and returns at once; the answer comes later.
// For a transport of your own on the asynchronous face (ClientOptions::async_transport); the
// engine's own is libcurl's multi interface.
class AsyncHttpTransport {
 public:
  using Done = std::function<void(StatusOr<HttpResponse>)>;
  AsyncHttpTransport() = default;
  AsyncHttpTransport(const AsyncHttpTransport&) = default;
  AsyncHttpTransport& operator=(const AsyncHttpTransport&) = default;
  AsyncHttpTransport(AsyncHttpTransport&&) = default;
  AsyncHttpTransport& operator=(AsyncHttpTransport&&) = default;
  virtual ~AsyncHttpTransport() = default;
  // Sends `request` and returns without waiting. Calls `done` exactly once, from any thread
  // (the engine takes the answer back to its own), with what HttpTransport::Send would return.
  // Must not block: it runs on the engine thread.
  virtual void SendAsync(HttpRequest request, Done done) = 0;
};

}  // namespace lro
