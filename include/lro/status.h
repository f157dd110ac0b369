// Errors as values: Status and StatusOr<T>.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "lro/boxed_optional.h"
#include "lro/service_error.h"

namespace lro {

// What went wrong, in the three families of SPEC §6 plus the caller's own errors.
// Each code says whether retrying helps.
enum class StatusCode {
  kOk = 0,
  // The caller's cancellation ended a local wait. The operation goes on server-side;
  // waiting again with a fresh token is fine.
  kCancelled,
  // The caller's local deadline passed first. The operation goes on; wait again to continue.
  kDeadlineExceeded,
  // Stop() was called on the poller: polling ended locally, the operation goes on.
  kStopped,
  // The caller's input is wrong: a malformed URL, resume token or option. Don't retry.
  kInvalidArgument,
  // The call makes no sense in the current state (the result of an unfinished operation,
  // cancel where the service has no cancel). Don't retry without changing something.
  kFailedPrecondition,
  // Operation failed: the service says the operation ended in failure. service_error()
  // holds its code, message, details and request id. Final.
  kOperationFailed,
  // Operation canceled: the operation ended canceled (by anyone). Final.
  kOperationCanceled,
  // Polling failed: the server answered a non-transient HTTP error (http_status() says
  // which; service_error() holds its error body when it sent one).
  kHttpError,
  // Polling failed: transport error, or transient failures beyond the retry budget. The
  // operation may well be fine: resuming later is reasonable.
  kUnavailable,
  // Polling failed: the server's answer breaks the protocol (bad JSON, no status, a 202 with
  // no link, a body over the size cap). Retrying the same request will not help.
  kProtocolError,
  // A bug in lro.
  kInternal,
};

// The name of a code, e.g. "OPERATION_FAILED".
const char* StatusCodeName(StatusCode code);

class Status {
 public:
  // OK.
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] bool ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // The HTTP status of the response that caused this error, or 0 if none did.
  [[nodiscard]] int http_status() const { return http_status_; }
  Status& set_http_status(int status) {
    http_status_ = status;
    return *this;
  }

  // The service's own error, when it sent one.
  [[nodiscard]] const BoxedOptional<ServiceError>& service_error() const { return service_error_; }
  Status& set_service_error(ServiceError error) {
    service_error_ = std::move(error);
    return *this;
  }

  // True for the "polling failed" family of SPEC §6.
  [[nodiscard]] bool IsPollingFailure() const {
    return code_ == StatusCode::kHttpError || code_ == StatusCode::kUnavailable ||
           code_ == StatusCode::kProtocolError;
  }

  // One line: code, message, HTTP status, service code and request id when known.
  [[nodiscard]] std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_status_ = 0;
  BoxedOptional<ServiceError> service_error_;
};

// Thrown by StatusOr<T>::value() when it holds an error: reading a value that is not
// there is a programming error, not a runtime condition.
class BadStatusOrAccess : public std::logic_error {
 public:
  explicit BadStatusOrAccess(const Status& status)
      : std::logic_error("StatusOr has no value: " + status.ToString()) {}
};

// A T, or the Status saying why there is none. Holds a non-OK Status or a value, never
// both: constructing from an OK Status yields an kInternal error.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  StatusOr(Status status)                          // NOLINT(google-explicit-constructor)
      : state_(status.ok() ? Status(StatusCode::kInternal, "StatusOr built from an OK Status")
                           : std::move(status)) {}

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
  // OK when a value is held.
  [[nodiscard]] Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  T& value() & {
    Check();
    return std::get<T>(state_);
  }
  const T& value() const& {
    Check();
    return std::get<T>(state_);
  }
  T&& value() && {
    Check();
    return std::get<T>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void Check() const {
    if (!ok()) throw BadStatusOrAccess(std::get<Status>(state_));
  }
  std::variant<Status, T> state_;
};

}  // namespace lro
