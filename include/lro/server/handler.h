// What a service author writes: a handler per route. The handler validates the request
// synchronously and either answers at once (Reply::Respond / Reply::Fail) or hands lrod work
// to run as a long-running operation (Reply::Start). lrod adds everything else of SPEC §9:
// ids, durable state, the state and result endpoints, progress, cancel, retention,
// idempotency, throttling and request ids.
//
//   server.Route("POST", "/v1/things/{name}:export", {.operation_type = "Thing.Export"},
//                [](const lro::server::Request& r) -> lro::server::Reply {
//                  if (r.body.empty()) return Reply::BadRequest("InvalidInput", "empty body");
//                  return Reply::Start([name = std::string(*r.Param("name"))](WorkContext& ctx) {
//                    ctx.ReportProgress(50);
//                    return WorkResult::Bytes(Export(name), "application/octet-stream");
//                  });
//                });
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/server/error.h"

namespace lro::server {

// A request as a handler sees it.
struct Request {
  std::string method;  // upper case, as received
  std::string path;    // as received (not percent-decoded), without the query
  std::string query;   // as received, without '?'
  Headers headers;
  std::string body;
  std::string principal;   // the authenticated caller ("anonymous" without --auth)
  std::string request_id;  // the id lrod put on the response
  // The route's {name} segments.
  std::map<std::string, std::string, std::less<>> params;

  [[nodiscard]] std::optional<std::string_view> Param(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const;
  // The first `name=value` of the query, percent-decoded; nullopt when absent.
  [[nodiscard]] std::optional<std::string> QueryParam(std::string_view name) const;
};

class WorkContext;
class WorkResult;

// The work of an operation. Runs on lrod's executor pool, never on an HTTP thread. It may be
// run again after a crash when the route is declared idempotent (RouteOptions::idempotent).
// An exception escaping it fails the operation with errorCode "InternalError".
using Work = std::function<WorkResult(WorkContext& context)>;

// What a step of work ends with.
class WorkResult {
 public:
  // Succeeded with a JSON result (served by GET …/result as application/json).
  static WorkResult Json(std::string json);
  // Succeeded with bytes of the given content type.
  static WorkResult Bytes(std::string body, std::string content_type);
  // Succeeded without a result (no Location on the final state; GET …/result answers 400).
  static WorkResult NoResult();
  // Failed with `error`.
  static WorkResult Error(ErrorInfo error);
  // Ended because cancel was requested: Failed with OperationCanceled (Fabric) / Canceled.
  // Returned while lrod shuts down and nobody asked to cancel, it is not recorded: the
  // operation is kept for the next start (re-run if idempotent, else failed).
  static WorkResult Canceled();
  // Not finished: run `next` after `delay` without holding an executor thread meanwhile.
  // A cancel request runs `next` at once (it should then see CancelRequested()).
  static WorkResult ContinueAfter(std::chrono::milliseconds delay, Work next);

  enum class Kind { kResult, kNoResult, kError, kCanceled, kContinue };
  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const std::string& body() const { return body_; }
  [[nodiscard]] const std::string& content_type() const { return content_type_; }
  [[nodiscard]] const ErrorInfo& error() const { return error_; }
  [[nodiscard]] std::chrono::milliseconds delay() const { return delay_; }
  [[nodiscard]] const std::shared_ptr<Work>& next() const { return next_; }

 private:
  Kind kind_ = Kind::kNoResult;
  std::string body_;
  std::string content_type_;
  ErrorInfo error_;
  std::chrono::milliseconds delay_{0};
  std::shared_ptr<Work> next_;
};

// Handed to every step of work. Thread-safe.
class WorkContext {
 public:
  WorkContext() = default;
  WorkContext(const WorkContext&) = default;
  WorkContext& operator=(const WorkContext&) = default;
  WorkContext(WorkContext&&) = default;
  WorkContext& operator=(WorkContext&&) = default;
  virtual ~WorkContext() = default;
  [[nodiscard]] virtual const std::string& operation_id() const = 0;
  [[nodiscard]] virtual const std::string& principal() const = 0;
  // Progress 0–100 (clamped). Monotonic: a value below the last one is ignored. Debounced:
  // the store sees at most one progress write per operation per debounce interval; the
  // latest value is never lost.
  virtual void ReportProgress(int percent) = 0;
  // True once someone asked to cancel. Work should then return WorkResult::Canceled() soon;
  // cancel is best effort, finishing anyway is allowed.
  [[nodiscard]] virtual bool CancelRequested() const = 0;
  // True once lrod is shutting down: return soon (see WorkResult::Canceled()).
  [[nodiscard]] virtual bool ShuttingDown() const = 0;
  // Sleeps `duration`, holding this thread. Returns false early when cancel is requested or
  // lrod shuts down. Prefer WorkResult::ContinueAfter for long waits.
  virtual bool SleepFor(std::chrono::milliseconds duration) = 0;
};

// A handler's decision.
class Reply {
 public:
  // An answer without an operation (a read, a synchronous action).
  static Reply Respond(int status, std::string body, std::string content_type = "application/json");
  // A rejection: `status` with the error body of the server's mode (Fabric ErrorResponse or
  // Azure error) carrying `error`.
  static Reply Fail(int status, ErrorInfo error);
  static Reply BadRequest(std::string error_code, std::string message);
  static Reply NotFound(std::string error_code, std::string message);
  // Starts an operation that runs `work`. lrod answers 200/201 with the result when it
  // finishes within the inline budget, else 202 once the operation is durably stored.
  // `display_name` (e.g. the name of what it creates) is stored with the operation and shown
  // in listings and on the /ui page; empty = none.
  static Reply Start(Work work, std::string display_name = {});

  enum class Kind { kRespond, kStart };
  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& body() const { return body_; }
  [[nodiscard]] const std::string& content_type() const { return content_type_; }
  [[nodiscard]] const std::optional<ErrorInfo>& error() const { return error_; }
  [[nodiscard]] const Work& work() const { return work_; }
  [[nodiscard]] const std::string& display_name() const { return display_name_; }

 private:
  Kind kind_ = Kind::kRespond;
  int status_ = 200;
  std::string body_;
  std::string content_type_;
  std::optional<ErrorInfo> error_;
  Work work_;
  std::string display_name_;
};

// Validates and decides; runs on an HTTP thread, so it must not block. Thread-safe.
using Handler = std::function<Reply(const Request& request)>;

struct RouteOptions {
  // Names the operations the route starts: metrics, limits, Retry-After and listing use it.
  // Required for a route that may Reply::Start.
  std::string operation_type;
  // Steps of this type running at once; 0 = as many as the executor has threads.
  int max_concurrency = 0;
  // The handler may be called again with the same request after a crash and its work re-run
  // from the start. The request is then stored with the operation. Otherwise an operation
  // that was running when lrod died is failed at the next start (errorCode
  // "OperationInterrupted").
  bool idempotent = false;
  // Retry-After (whole seconds) on the 202 and on running states; ServerOptions may override
  // per type.
  std::chrono::seconds retry_after{1};
  // Status of an inline answer that carries a result (201 for creation, 200 for actions).
  // An inline answer without a result is 204.
  int inline_status = 201;
};

}  // namespace lro::server
