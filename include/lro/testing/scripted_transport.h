// A transport for tests that answers from a script and records what it was sent.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "lro/http.h"

namespace lro::testing {

// Answers requests in order from a queue of canned answers, or through a handler when one is
// set. A request with nothing left to answer gets kInternal "script exhausted", so a test that
// expects N requests sees an error on request N+1. Thread-safe.
class ScriptedTransport final : public HttpTransport {
 public:
  using Handler = std::function<StatusOr<HttpResponse>(const HttpRequest&)>;

  ScriptedTransport() = default;
  explicit ScriptedTransport(Handler handler) : handler_(std::move(handler)) {}

  // Queues an answer: a response, or a Status for a transport failure.
  ScriptedTransport& Then(HttpResponse response);
  ScriptedTransport& Then(int status, Headers headers = {}, std::string body = {});
  ScriptedTransport& ThenFail(Status status);

  StatusOr<HttpResponse> Send(const HttpRequest& request, const CancellationToken& cancel) override;

  std::vector<HttpRequest> requests() const;
  std::size_t remaining() const;

 private:
  // Guards the members below. A plain std::mutex, outside clang's thread-safety analysis: a
  // public header, which cannot include the annotations of src/wire/thread_safety.h.
  mutable std::mutex mutex_;
  Handler handler_;
  std::deque<StatusOr<HttpResponse>> script_;
  std::vector<HttpRequest> requests_;
};

}  // namespace lro::testing
