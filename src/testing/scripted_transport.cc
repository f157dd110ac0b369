#include "lro/testing/scripted_transport.h"

namespace lro::testing {

ScriptedTransport& ScriptedTransport::Then(HttpResponse response) {
  std::lock_guard lock(mutex_);
  script_.emplace_back(std::move(response));
  return *this;
}

ScriptedTransport& ScriptedTransport::Then(int status, Headers headers, std::string body) {
  return Then(HttpResponse{status, std::move(headers), std::move(body)});
}

ScriptedTransport& ScriptedTransport::ThenFail(Status status) {
  std::lock_guard lock(mutex_);
  script_.emplace_back(std::move(status));
  return *this;
}

StatusOr<HttpResponse> ScriptedTransport::Send(const HttpRequest& request,
                                               const CancellationToken& cancel) {
  if (cancel.cancelled()) return Status(StatusCode::kCancelled, "cancelled");
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (!handler_) {
      if (script_.empty()) {
        return Status(StatusCode::kInternal, "script exhausted at request " +
                                                 std::to_string(requests_.size()) + ": " +
                                                 request.method + " " + request.url);
      }
      auto next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    handler = handler_;
  }
  return handler(request);
}

std::vector<HttpRequest> ScriptedTransport::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t ScriptedTransport::remaining() const {
  std::lock_guard lock(mutex_);
  return script_.size();
}

}  // namespace lro::testing
