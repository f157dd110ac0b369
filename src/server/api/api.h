// The HTTP semantics of lrod, without any HTTP library: a parsed request in, a response out.
// Routing, authentication, throttling, the operation endpoints of SPEC §9, idempotency
// headers (SPEC §7), error bodies and the headers every response carries.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rendering.h"
#include "lro/http.h"
#include "lro/server/server.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "runtime/router.h"
#include "runtime/runtime.h"
#include "runtime/state_watchers.h"
#include "runtime/throttle.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

struct ApiRequest {
  std::string method;
  std::string target;  // path and query, as received
  Headers headers;
  std::string body;
};

class EventStream;

struct ApiResponse {
  int status = 200;
  std::string content_type;  // empty = no Content-Type
  std::string body;
  // When set, the body instead of `body`; `hold` keeps it alive.
  std::string_view body_view;
  // More header lines, kept alive by `hold`.
  std::string_view extra_headers;
  std::shared_ptr<const void> hold;
  std::string headers;  // "Name: value\r\n" lines
  std::string request_id;
  Endpoint endpoint = Endpoint::kOther;
  // When set, a text/event-stream answer: the headers, then the stream's events as they come,
  // until it closes or the client goes away (then the connection closes).
  std::shared_ptr<EventStream> stream;

  [[nodiscard]] std::string_view Body() const {
    return body_view.data() != nullptr ? body_view : std::string_view(body);
  }
};

// An answer that comes later (a Start waiting for its commit): completed once, from any
// thread; OnReady's callback runs once, on the completing thread or at once if already done.
class PendingReply {
 public:
  void Complete(ApiResponse response);
  void OnReady(std::function<void(ApiResponse)> callback);

 private:
  Mutex mutex_;
  std::optional<ApiResponse> response_ LRO_GUARDED_BY(mutex_);
  std::function<void(ApiResponse)> callback_ LRO_GUARDED_BY(mutex_);
};

// The events of a text/event-stream answer (Server-Sent Events), pushed from any thread and
// written by the HTTP layer as they come.
class EventStream {
 public:
  // Queues one event (a complete "event: …\ndata: …\n\n" block). A still-queued event with
  // the same non-empty `key` is replaced: a slow reader gets each operation's latest state.
  void Push(std::string_view key, std::string event);
  // Ends the stream once what is queued has been written.
  void Close();
  // The next events as the body of an answer: completed once something is queued, with an
  // empty body once the stream is closed. One call at a time.
  std::shared_ptr<PendingReply> Next();
  // The HTTP layer is done with the stream (closed, or the client went away): runs the
  // callback given to OnFinish once.
  void Finish();
  void OnFinish(std::function<void()> callback);

 private:
  Mutex mutex_;
  std::vector<std::pair<std::string, std::string>> queue_ LRO_GUARDED_BY(mutex_);
  bool closed_ LRO_GUARDED_BY(mutex_) = false;
  bool finished_ LRO_GUARDED_BY(mutex_) = false;
  std::shared_ptr<PendingReply> waiting_ LRO_GUARDED_BY(mutex_);
  std::function<void()> on_finish_ LRO_GUARDED_BY(mutex_);
};

struct ApiConfig {
  Mode mode = Mode::kFabric;
  std::string public_url;  // no trailing '/'
  std::map<std::string, std::string> bearer_tokens;
  std::chrono::milliseconds idempotency_window = std::chrono::hours(24);
  double rate_limit = 0;
  double rate_burst = 0;
  // Prefer: wait (see ServerOptions::max_wait); no holding without watchers or with 0.
  std::chrono::seconds max_wait{0};
  StateWatchers* watchers = nullptr;
};

class Api {
 public:
  Api(ApiConfig config, Runtime& runtime, Router& router, Metrics& metrics, Logger& logger);

  struct Result {
    std::optional<ApiResponse> now;
    std::shared_ptr<PendingReply> later;
  };
  // Handles one request; `request` may be moved from. Thread-safe.
  Result Handle(ApiRequest& request);

  // An error response in the mode's shape.
  [[nodiscard]] ApiResponse ErrorResponse(int status, const ErrorInfo& error,
                                          std::string request_id) const;
  // The same for errors the HTTP layer detects (malformed or oversized requests), with a fresh
  // request id and the headers every response carries.
  [[nodiscard]] ApiResponse TransportError(int status, const ErrorInfo& error) const;

 private:
  ApiResponse Operations(const ApiRequest& request, std::string_view path, std::string_view query,
                         const std::string& principal, std::string request_id);
  ApiResponse StateResponse(const std::shared_ptr<const Snapshot>& snapshot, std::string request_id,
                            Endpoint endpoint) const;
  // GET /v1/operations/{id} with Prefer: wait: the held answer, or nullopt to answer as usual.
  std::optional<Result> HoldState(const ApiRequest& request, std::string_view path,
                                  const std::string& principal, const std::string& request_id);
  // GET /v1/operations/events: the caller's state changes as Server-Sent Events.
  ApiResponse Events(const std::string& principal, std::string request_id);
  ApiResponse ListOperations(std::string_view query, const std::string& principal,
                             std::string request_id);
  Result RunRoute(ApiRequest& request, std::string_view path, std::string_view query,
                  const std::string& principal, std::string request_id);
  ApiResponse RenderCreate(const CreateOutcome& outcome, const Route& route,
                           std::optional<KeyKind> key_kind, std::string request_id) const;
  ApiResponse Metrics();
  void AddCommonHeaders(ApiResponse& response, const Headers* request_headers) const;

  ApiConfig config_;
  RenderConfig render_;
  Runtime& runtime_;
  Router& router_;
  internal::Metrics& metrics_;
  Logger& logger_;
  Throttle throttle_;
  std::string common_headers_;
};

}  // namespace lro::server::internal
