#include "api/api.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <utility>

#include "api/prometheus_text.h"
#include "api/ui_assets.h"
#include "common/json_text.h"
#include "common/time_text.h"
#include "runtime/ids.h"
#include "wire/http_date.h"
#include "wire/preferences.h"

namespace lro::server::internal {
namespace {

constexpr std::string_view kOperationsPrefix = "/v1/operations";

ErrorInfo Error(std::string code, std::string message, bool retriable = false) {
  return ErrorInfo{std::move(code), std::move(message), {}, retriable};
}

std::uint64_t Fnv1a(std::string_view text, std::uint64_t hash) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Identifies a request's content for idempotency: method, target and body.
std::string Fingerprint(const ApiRequest& request) {
  std::uint64_t a = 0xcbf29ce484222325ULL;
  std::uint64_t b = 0x84222325cbf29ce4ULL;
  for (std::string_view part :
       {std::string_view(request.method), std::string_view("\n"), std::string_view(request.target),
        std::string_view("\n"), std::string_view(request.body)}) {
    a = Fnv1a(part, a);
    b = Fnv1a(part, b ^ 0x9E3779B97F4A7C15ULL);
  }
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buffer;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

bool IsPrintable(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

// The wait=N preference of the Prefer header (RFC 7240 §4.3) in seconds; nullopt when there
// is none or it is malformed (a preference a server cannot use is ignored, RFC 7240 §2).
std::optional<std::int64_t> PreferredWait(const Headers& headers) {
  const auto prefer = FindHeader(headers, "Prefer");
  if (!prefer) return std::nullopt;
  const auto value = wire::FindPreference(*prefer, "wait");
  if (!value) return std::nullopt;
  std::int64_t seconds = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, seconds);
  if (value->empty() || value->size() > 12 || ec != std::errc() || ptr != end || seconds < 0) {
    return std::nullopt;
  }
  return seconds;
}

void AddHeader(std::string& headers, std::string_view name, std::string_view value) {
  headers += name;
  headers += ": ";
  headers += value;
  headers += "\r\n";
}

}  // namespace

void PendingReply::Complete(ApiResponse response) {
  std::function<void(ApiResponse)> callback;
  {
    MutexLock lock(mutex_);
    if (!callback_) {
      response_ = std::move(response);
      return;
    }
    callback = std::move(callback_);
    callback_ = nullptr;
  }
  callback(std::move(response));
}

void PendingReply::OnReady(std::function<void(ApiResponse)> callback) {
  ApiResponse ready;
  {
    MutexLock lock(mutex_);
    if (!response_) {
      callback_ = std::move(callback);
      return;
    }
    ready = std::move(*response_);
    response_.reset();
  }
  callback(std::move(ready));
}

void EventStream::Push(std::string_view key, std::string event) {
  std::shared_ptr<PendingReply> waiting;
  ApiResponse ready;
  {
    MutexLock lock(mutex_);
    if (closed_) return;
    // A keyed event replaces the one queued with the same key.
    auto same_key = queue_.end();
    if (!key.empty()) {
      same_key = std::find_if(queue_.begin(), queue_.end(),
                              [&](const auto& queued) { return queued.first == key; });
    }
    if (same_key != queue_.end()) {
      same_key->second = std::move(event);
    } else {
      queue_.emplace_back(std::string(key), std::move(event));
    }
    if (!waiting_) return;
    waiting = std::move(waiting_);
    waiting_ = nullptr;
    for (auto& [queued_key, queued] : queue_) ready.body += queued;
    queue_.clear();
  }
  waiting->Complete(std::move(ready));
}

void EventStream::Close() {
  std::shared_ptr<PendingReply> waiting;
  {
    MutexLock lock(mutex_);
    closed_ = true;
    if (!queue_.empty() || !waiting_) return;
    waiting = std::move(waiting_);
    waiting_ = nullptr;
  }
  waiting->Complete(ApiResponse{});
}

std::shared_ptr<PendingReply> EventStream::Next() {
  auto next = std::make_shared<PendingReply>();
  ApiResponse ready;
  {
    MutexLock lock(mutex_);
    if (queue_.empty() && !closed_) {
      waiting_ = next;
      return next;
    }
    for (auto& [queued_key, queued] : queue_) ready.body += queued;
    queue_.clear();
  }
  next->Complete(std::move(ready));
  return next;
}

void EventStream::OnFinish(std::function<void()> callback) {
  MutexLock lock(mutex_);
  on_finish_ = std::move(callback);
}

void EventStream::Finish() {
  std::function<void()> callback;
  {
    MutexLock lock(mutex_);
    if (finished_) return;
    finished_ = true;
    closed_ = true;
    queue_.clear();
    callback = std::move(on_finish_);
    on_finish_ = nullptr;
  }
  if (callback) callback();
}

Api::Api(ApiConfig config, Runtime& runtime, Router& router, internal::Metrics& metrics,
         Logger& logger)
    : config_(std::move(config)),
      render_{config_.mode, config_.public_url},
      runtime_(runtime),
      router_(router),
      metrics_(metrics),
      logger_(logger),
      throttle_(config_.rate_limit, config_.rate_burst) {
  common_headers_ =
      config_.mode == Mode::kFabric
          ? "Access-Control-Expose-Headers: RequestId,Location,Retry-After,x-ms-operation-id\r\n"
          : "Access-Control-Expose-Headers: RequestId,Location,Retry-After,x-ms-operation-id,"
            "Operation-Location,x-ms-request-id\r\n";
}

void Api::AddCommonHeaders(ApiResponse& response, const Headers* request_headers) const {
  std::string headers;
  headers.reserve(160 + response.headers.size());
  AddHeader(headers, "RequestId", response.request_id);
  if (config_.mode == Mode::kAzure) AddHeader(headers, "x-ms-request-id", response.request_id);
  if (request_headers != nullptr) {
    if (auto client_id = FindHeader(*request_headers, "x-ms-client-request-id");
        client_id && client_id->size() <= 256 && IsPrintable(*client_id)) {
      AddHeader(headers, "x-ms-client-request-id", *client_id);
    }
  }
  headers += common_headers_;
  headers += response.headers;
  response.headers = std::move(headers);
}

ApiResponse Api::ErrorResponse(int status, const ErrorInfo& error, std::string request_id) const {
  ApiResponse response;
  response.status = status;
  response.content_type = "application/json";
  if (config_.mode == Mode::kFabric) {
    AppendFabricError(response.body, error, request_id);
    AddHeader(response.headers, "x-ms-public-api-error-code", error.error_code);
  } else {
    response.body = "{\"error\":";
    AppendAzureError(response.body, error);
    response.body += '}';
    AddHeader(response.headers, "x-ms-error-code", error.error_code);
  }
  response.request_id = std::move(request_id);
  return response;
}

ApiResponse Api::TransportError(int status, const ErrorInfo& error) const {
  ApiResponse response = ErrorResponse(status, error, NewRequestId());
  AddCommonHeaders(response, nullptr);
  return response;
}

Api::Result Api::Handle(ApiRequest& request) {
  std::string request_id = NewRequestId();
  const std::string_view target = request.target;
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  auto finish = [&](ApiResponse response) {
    AddCommonHeaders(response, &request.headers);
    return Result{std::move(response), nullptr};
  };

  if (path == "/metrics" || path == "/healthz") {
    if (request.method != "GET") {
      return finish(ErrorResponse(405, Error("MethodNotAllowed", "Use GET."), request_id));
    }
    ApiResponse response;
    if (path == "/metrics") {
      response = Metrics();
    } else {
      response.content_type = "application/json";
      response.body = R"({"status":"ok"})";
    }
    response.request_id = std::move(request_id);
    return finish(std::move(response));
  }

  // The operations page: static files, no data (the page calls the API with the caller's own
  // credentials), so served without authentication.
  if (path == "/ui" || path.starts_with("/ui/")) {
    if (request.method != "GET") {
      return finish(ErrorResponse(405, Error("MethodNotAllowed", "Use GET."), request_id));
    }
    const UiAsset* asset = FindUiAsset(path);
    if (asset == nullptr) {
      return finish(
          ErrorResponse(404, Error("EntityNotFound", "No such page."), std::move(request_id)));
    }
    ApiResponse response;
    response.content_type = std::string(asset->content_type);
    response.body_view = asset->body;
    response.request_id = std::move(request_id);
    AddHeader(response.headers, "Content-Security-Policy", kUiContentSecurityPolicy);
    AddHeader(response.headers, "X-Content-Type-Options", "nosniff");
    AddHeader(response.headers, "Referrer-Policy", "no-referrer");
    AddHeader(response.headers, "Cache-Control", "no-cache");
    return finish(std::move(response));
  }

  // Who is calling.
  std::string principal = "anonymous";
  if (!config_.bearer_tokens.empty()) {
    auto authorization = FindHeader(request.headers, "Authorization");
    std::string_view token;
    if (authorization && authorization->size() > 7 &&
        (authorization->substr(0, 7) == "Bearer " || authorization->substr(0, 7) == "bearer ")) {
      token = authorization->substr(7);
    }
    auto it = token.empty() ? config_.bearer_tokens.end()
                            : config_.bearer_tokens.find(std::string(token));
    if (it == config_.bearer_tokens.end()) {
      metrics_.unauthorized.fetch_add(1, std::memory_order_relaxed);
      ApiResponse response = ErrorResponse(
          401, Error("Unauthorized", "A valid bearer token is required."), request_id);
      AddHeader(response.headers, "WWW-Authenticate", "Bearer");
      return finish(std::move(response));
    }
    principal = it->second;
  }

  // Throttling is decided in memory, before anything touches the store.
  if (throttle_.enabled()) {
    if (auto wait = throttle_.Take(principal, runtime_.MonotonicNow())) {
      metrics_.throttled.fetch_add(1, std::memory_order_relaxed);
      ApiResponse response = ErrorResponse(
          429,
          Error("TooManyRequests",
                "The caller sent too many requests; retry after " + std::to_string(*wait) + " s.",
                true),
          request_id);
      AddHeader(response.headers, "Retry-After", std::to_string(*wait));
      return finish(std::move(response));
    }
  }

  if (path.starts_with(kOperationsPrefix) &&
      (path.size() == kOperationsPrefix.size() || path[kOperationsPrefix.size()] == '/')) {
    if (path == "/v1/operations/events") {
      if (request.method != "GET") {
        return finish(ErrorResponse(405, Error("MethodNotAllowed", "Use GET."), request_id));
      }
      return finish(Events(principal, std::move(request_id)));
    }
    if (auto held = HoldState(request, path, principal, request_id)) return std::move(*held);
    return finish(Operations(request, path, query, principal, std::move(request_id)));
  }
  return RunRoute(request, path, query, principal, std::move(request_id));
}

// ---- operation endpoints -----------------------------------------------------------------

ApiResponse Api::StateResponse(const std::shared_ptr<const Snapshot>& snapshot,
                               std::string request_id, Endpoint endpoint) const {
  ApiResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body_view = snapshot->body;
  response.extra_headers = snapshot->headers;
  response.hold = snapshot;
  response.request_id = std::move(request_id);
  response.endpoint = endpoint;
  return response;
}

ApiResponse Api::Events(const std::string& principal, std::string request_id) {
  if (config_.watchers == nullptr) {
    return ErrorResponse(404, Error("EntityNotFound", "No event stream here."),
                         std::move(request_id));
  }
  auto stream = std::make_shared<EventStream>();
  // Each event is one operation's state in the list endpoint's words: {id, type, displayName?,
  // status, percentComplete, createdTimeUtc, lastUpdatedTimeUtc, error?}.
  const Mode mode = config_.mode;
  const StateWatchers::Id id = config_.watchers->Subscribe(
      principal,
      [stream, mode](const std::shared_ptr<const Snapshot>& snapshot) {
        if (!snapshot) {  // heartbeat: a reader that went away is noticed when this is written
          stream->Push("\n", ": keep-alive\n\n");
          return;
        }
        std::string event = "event: state\ndata: {\"id\":";
        AppendJsonString(event, snapshot->id);
        event += ",\"type\":";
        AppendJsonString(event, snapshot->type);
        if (!snapshot->display_name.empty()) {
          event += ",\"displayName\":";
          AppendJsonString(event, snapshot->display_name);
        }
        event += ",\"status\":";
        AppendJsonString(event, VisibleStatusName(mode, snapshot->status));
        event += ",\"percentComplete\":";
        event += snapshot->percent_complete ? std::to_string(*snapshot->percent_complete) : "null";
        event += ",\"createdTimeUtc\":\"";
        AppendIso8601(event, snapshot->created_ms);
        event += "\",\"lastUpdatedTimeUtc\":\"";
        AppendIso8601(event, snapshot->updated_ms);
        event += '"';
        if (snapshot->error) {
          event += ",\"error\":";
          if (mode == Mode::kFabric) {
            AppendFabricError(event, *snapshot->error, "");
          } else {
            AppendAzureError(event, *snapshot->error);
          }
        }
        event += "}\n\n";
        stream->Push(snapshot->id, std::move(event));
      },
      [stream] { stream->Close(); });
  stream->OnFinish([watchers = config_.watchers, id] { watchers->Unsubscribe(id); });
  // Tells the reader it is subscribed (a reader that reconnects catches up from the list).
  stream->Push("", "retry: 2000\n: subscribed\n\n");
  ApiResponse response;
  response.content_type = "text/event-stream";
  AddHeader(response.headers, "Cache-Control", "no-store");
  response.request_id = std::move(request_id);
  response.stream = std::move(stream);
  return response;
}

std::optional<Api::Result> Api::HoldState(const ApiRequest& request, std::string_view path,
                                          const std::string& principal,
                                          const std::string& request_id) {
  if (config_.watchers == nullptr || config_.max_wait.count() <= 0 || request.method != "GET" ||
      path.size() <= kOperationsPrefix.size() + 1) {
    return std::nullopt;
  }
  const std::string id(path.substr(kOperationsPrefix.size() + 1));
  if (id.find_first_of("/:") != std::string::npos) return std::nullopt;  // result, cancel
  const auto wanted = PreferredWait(request.headers);
  if (!wanted || *wanted <= 0) return std::nullopt;
  auto seen = runtime_.Find(id, principal, false);
  // Unknown, someone else's, expired or unreadable: answered as usual, at once.
  if (!seen.ok() || !*seen) return std::nullopt;
  const std::int64_t applied = std::min<std::int64_t>(*wanted, config_.max_wait.count());
  const std::string preference = "wait=" + std::to_string(applied);

  auto render = [this, preference, request_id,
                 headers = request.headers](const std::shared_ptr<const Snapshot>& snapshot) {
    ApiResponse response = StateResponse(snapshot, request_id, Endpoint::kState);
    AddHeader(response.headers, "Preference-Applied", preference);
    AddCommonHeaders(response, &headers);
    return response;
  };
  if (IsTerminal((*seen)->status)) return Result{render(*seen), nullptr};

  auto pending = std::make_shared<PendingReply>();
  const StateWatchers::Id watch = config_.watchers->Watch(
      id, std::chrono::seconds(applied),
      [pending, render, seen = *seen](const std::shared_ptr<const Snapshot>& changed) {
        pending->Complete(render(changed ? changed : seen));
      });
  // A commit between the first read and the watch: answer it now (Wake does nothing when the
  // watch has already been completed).
  if (auto now = runtime_.Find(id, principal, false); now.ok() && *now && *now != *seen) {
    config_.watchers->Wake(watch, *now);
  }
  return Result{std::nullopt, std::move(pending)};
}

ApiResponse Api::Operations(const ApiRequest& request, std::string_view path,
                            std::string_view query, const std::string& principal,
                            std::string request_id) {
  std::string_view rest = path.substr(kOperationsPrefix.size());
  if (rest.empty() || rest == "/") {
    if (request.method != "GET") {
      return ErrorResponse(405, Error("MethodNotAllowed", "Use GET to list operations."),
                           std::move(request_id));
    }
    return ListOperations(query, principal, std::move(request_id));
  }
  rest.remove_prefix(1);
  enum class What { kState, kResult, kCancel } what = What::kState;
  std::string_view id = rest;
  constexpr std::string_view kCancelSuffix = ":cancel";
  constexpr std::string_view kResultSuffix = "/result";
  if (rest.ends_with(kCancelSuffix)) {
    what = What::kCancel;
    id = rest.substr(0, rest.size() - kCancelSuffix.size());
    if (request.method != "POST") {
      return ErrorResponse(405, Error("MethodNotAllowed", "Use POST to cancel."),
                           std::move(request_id));
    }
  } else if (rest.ends_with(kResultSuffix)) {
    what = What::kResult;
    id = rest.substr(0, rest.size() - kResultSuffix.size());
    if (request.method != "GET") {
      return ErrorResponse(405, Error("MethodNotAllowed", "Use GET to read a result."),
                           std::move(request_id));
    }
  } else if (request.method == "DELETE") {
    what = What::kCancel;
  } else if (request.method != "GET") {
    return ErrorResponse(405, Error("MethodNotAllowed", "Use GET, or DELETE to cancel."),
                         std::move(request_id));
  }
  const Endpoint endpoint = what == What::kState    ? Endpoint::kState
                            : what == What::kResult ? Endpoint::kResult
                                                    : Endpoint::kCancel;
  auto found = what == What::kCancel ? runtime_.Cancel(id, principal)
                                     : runtime_.Find(id, principal, what == What::kResult);
  if (!found.ok()) {
    logger_.Log(LogLevel::kError, "store read failed",
                {{"requestId", request_id}, {"error", found.status().message()}});
    ApiResponse response =
        ErrorResponse(503, Error("ServiceUnavailable", "The operation store is unavailable.", true),
                      std::move(request_id));
    AddHeader(response.headers, "Retry-After", "1");
    response.endpoint = endpoint;
    return response;
  }
  const auto& snapshot = *found;
  if (!snapshot) {
    ApiResponse response =
        ErrorResponse(404, Error("EntityNotFound", "The requested operation was not found."),
                      std::move(request_id));
    response.endpoint = endpoint;
    return response;
  }
  if (what != What::kResult) return StateResponse(snapshot, std::move(request_id), endpoint);

  // GET …/result
  ApiResponse response;
  if (snapshot->status == OperationStatus::kSucceeded && snapshot->has_result && snapshot->result) {
    response.status = 200;
    response.content_type = snapshot->result->content_type;
    response.body_view = snapshot->result->body;
    response.hold = snapshot;
    response.request_id = std::move(request_id);
  } else if (snapshot->status == OperationStatus::kSucceeded) {
    response = ErrorResponse(
        400, Error("OperationHasNoResult", "The operation succeeded without a result."),
        std::move(request_id));
  } else if (IsTerminal(snapshot->status)) {
    response = ErrorResponse(
        400, snapshot->error.value_or(Error("OperationFailed", "The operation failed.")),
        std::move(request_id));
  } else {
    response = ErrorResponse(
        400,
        Error("OperationNotCompleted", "The operation has not finished yet; poll its state.", true),
        std::move(request_id));
    response.extra_headers = snapshot->headers;
    response.hold = snapshot;
  }
  response.endpoint = Endpoint::kResult;
  return response;
}

ApiResponse Api::ListOperations(std::string_view query, const std::string& principal,
                                std::string request_id) {
  Request parsed;
  parsed.query = std::string(query);
  ListQuery list;
  list.principal = principal;
  list.limit = 100;
  auto bad = [&](std::string message) {
    ApiResponse response =
        ErrorResponse(400, Error("InvalidParameter", std::move(message)), std::move(request_id));
    response.endpoint = Endpoint::kList;
    return response;
  };
  const auto status = parsed.QueryParam("status");
  if (status && !status->empty()) {
    list.status = ParseOperationStatus(*status);
    if (!list.status) {
      return bad("status must be one of NotStarted, Running, Succeeded, Failed, Canceled.");
    }
  }
  const auto type = parsed.QueryParam("type");
  if (type) list.type = *type;
  const auto order = parsed.QueryParam("order");
  if (order && !order->empty()) {
    if (*order != "asc" && *order != "desc") {
      return bad("order must be asc (oldest first, the default) or desc (newest first).");
    }
    list.newest_first = *order == "desc";
  }
  const auto top = parsed.QueryParam("top");
  if (top) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(top->data(), top->data() + top->size(), value);
    if (ec != std::errc() || ptr != top->data() + top->size() || value < 1 || value > 1000) {
      return bad("top must be an integer from 1 to 1000.");
    }
    list.limit = static_cast<std::size_t>(value);
  }
  const auto token = parsed.QueryParam("continuationToken");
  if (token && !token->empty()) {
    const std::size_t dot = token->find('.');
    std::int64_t created = 0;
    const char* end = token->data() + (dot == std::string::npos ? 0 : dot);
    auto [ptr, ec] = std::from_chars(token->data(), end, created);
    if (dot == std::string::npos || ec != std::errc() || ptr != end ||
        !IsCanonicalUuid(std::string_view(*token).substr(dot + 1))) {
      return bad("continuationToken is not one this server issued.");
    }
    list.after = std::pair{created, token->substr(dot + 1)};
  }
  auto page = runtime_.List(list);
  if (!page.ok()) {
    ApiResponse response =
        ErrorResponse(503, Error("ServiceUnavailable", "The operation store is unavailable.", true),
                      std::move(request_id));
    AddHeader(response.headers, "Retry-After", "1");
    return response;
  }
  ApiResponse response;
  response.content_type = "application/json";
  std::string& body = response.body;
  body = "{\"value\":[";
  for (std::size_t i = 0; i < page->operations.size(); ++i) {
    if (i > 0) body.push_back(',');
    AppendListEntry(render_, body, page->operations[i]);
  }
  body += ']';
  if (page->more && !page->operations.empty()) {
    const auto& last = page->operations.back();
    const std::string next = std::to_string(last.created_ms) + "." + last.id;
    std::string uri = render_.public_url + "/v1/operations?";
    if (list.status) uri += "status=" + PercentEncode(OperationStatusName(*list.status)) + "&";
    if (!list.type.empty()) uri += "type=" + PercentEncode(list.type) + "&";
    if (list.newest_first) uri += "order=desc&";
    uri += "top=" + std::to_string(list.limit) + "&continuationToken=" + PercentEncode(next);
    if (config_.mode == Mode::kFabric) {
      body += ",\"continuationToken\":";
      AppendJsonString(body, next);
      body += ",\"continuationUri\":";
      AppendJsonString(body, uri);
    } else {
      body += ",\"nextLink\":";
      AppendJsonString(body, uri);
    }
  }
  body += '}';
  AddHeader(response.headers, "Cache-Control", "no-store");
  response.request_id = std::move(request_id);
  response.endpoint = Endpoint::kList;
  return response;
}

// ---- service routes ----------------------------------------------------------------------

Api::Result Api::RunRoute(ApiRequest& request, std::string_view path, std::string_view query,
                          const std::string& principal, std::string request_id) {
  // The request's headers move to the handler's request below; answers use them from there.
  const Headers* headers = &request.headers;
  auto finish = [&](ApiResponse response) {
    AddCommonHeaders(response, headers);
    return Result{std::move(response), nullptr};
  };
  auto match = router_.Find(request.method, path);
  if (match.kind == Router::MatchKind::kNoPath) {
    return finish(ErrorResponse(404, Error("NotFound", "No such resource."), request_id));
  }
  if (match.kind == Router::MatchKind::kWrongMethod) {
    return finish(ErrorResponse(
        405, Error("MethodNotAllowed", "The resource does not support " + request.method + "."),
        request_id));
  }
  Route& route = *match.route;
  const std::string fingerprint = Fingerprint(request);

  Request handler_request;
  handler_request.method = request.method;
  handler_request.path = std::string(path);
  handler_request.query = std::string(query);
  handler_request.headers = std::move(request.headers);
  headers = &handler_request.headers;
  handler_request.body = std::move(request.body);
  handler_request.principal = principal;
  handler_request.request_id = request_id;
  handler_request.params = std::move(match.params);

  std::optional<Reply> reply;
  try {
    reply = route.handler(handler_request);
  } catch (const std::exception& e) {
    logger_.Log(LogLevel::kError, "handler threw",
                {{"requestId", request_id}, {"route", route.pattern}, {"error", e.what()}});
  } catch (...) {
    logger_.Log(LogLevel::kError, "handler threw",
                {{"requestId", request_id}, {"route", route.pattern}});
  }
  if (!reply) {
    ApiResponse response =
        ErrorResponse(500, Error("InternalError", "The service failed to handle the request."),
                      std::move(request_id));
    response.endpoint = Endpoint::kHandler;
    return finish(std::move(response));
  }
  if (reply->kind() == Reply::Kind::kRespond) {
    ApiResponse response;
    if (reply->error()) {
      response = ErrorResponse(reply->status(), *reply->error(), std::move(request_id));
    } else {
      response.status = reply->status();
      response.content_type = reply->content_type();
      response.body = reply->body();
      response.request_id = std::move(request_id);
    }
    response.endpoint = Endpoint::kHandler;
    return finish(std::move(response));
  }
  if (route.options.operation_type.empty() || !reply->work()) {
    logger_.Log(LogLevel::kError, "a route without operation_type started an operation",
                {{"route", route.pattern}});
    return finish(ErrorResponse(500, Error("InternalError", "The service is misconfigured."),
                                std::move(request_id)));
  }

  // Idempotency (SPEC §7). One kind per request, in this order of precedence.
  std::optional<KeySpec> key;
  if (auto id = FindHeader(handler_request.headers, "Repeatability-Request-ID")) {
    auto first_sent = FindHeader(handler_request.headers, "Repeatability-First-Sent");
    std::optional<std::int64_t> sent_ms;
    if (first_sent) {
      if (auto sent = wire::ParseImfFixdate(*first_sent)) {
        sent_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(sent->time_since_epoch()).count();
      }
    }
    if (id->empty() || id->size() > 256 || !IsPrintable(*id) || !sent_ms) {
      ApiResponse response = ErrorResponse(
          400,
          Error("InvalidRepeatabilityHeaders",
                "Repeatability-Request-ID needs a Repeatability-First-Sent IMF-fixdate."),
          std::move(request_id));
      AddHeader(response.headers, "Repeatability-Result", "rejected");
      return finish(std::move(response));
    }
    if (runtime_.NowMs() - *sent_ms > config_.idempotency_window.count()) {
      ApiResponse response = ErrorResponse(
          412,
          Error("RepeatabilityWindowExpired",
                "Repeatability-First-Sent is older than the server's tracking window; the "
                "request may not be repeated safely."),
          std::move(request_id));
      AddHeader(response.headers, "Repeatability-Result", "rejected");
      return finish(std::move(response));
    }
    key = KeySpec{KeyKind::kRepeatabilityRequestId, std::string(*id), fingerprint};
  } else if (auto idempotency_key = FindHeader(handler_request.headers, "Idempotency-Key")) {
    std::string_view value = *idempotency_key;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty() || value.size() > 255 || !IsPrintable(value)) {
      return finish(ErrorResponse(
          400, Error("InvalidIdempotencyKey", "Idempotency-Key must be 1 to 255 characters."),
          std::move(request_id)));
    }
    key = KeySpec{KeyKind::kIdempotencyKey, std::string(value), fingerprint};
  } else if (auto operation_id = FindHeader(handler_request.headers, "Operation-Id")) {
    if (operation_id->empty() || operation_id->size() > 256 || !IsPrintable(*operation_id)) {
      return finish(ErrorResponse(
          400, Error("InvalidOperationId", "Operation-Id must be 1 to 256 characters."),
          std::move(request_id)));
    }
    key = KeySpec{KeyKind::kOperationId, std::string(*operation_id), fingerprint};
  }

  auto pending = std::make_shared<PendingReply>();
  std::optional<KeyKind> key_kind;
  if (key) key_kind = key->kind;
  // The headers of the answer are fixed now; the request is gone by the time it comes.
  std::string client_request_id;
  if (auto client_id = FindHeader(handler_request.headers, "x-ms-client-request-id");
      client_id && client_id->size() <= 256 && IsPrintable(*client_id)) {
    client_request_id = std::string(*client_id);
  }
  runtime_.Create(route, handler_request, reply->work(), reply->display_name(), std::move(key),
                  [this, pending, &route, key_kind, request_id,
                   client_request_id = std::move(client_request_id)](const CreateOutcome& outcome) {
                    ApiResponse response = RenderCreate(outcome, route, key_kind, request_id);
                    if (!client_request_id.empty()) {
                      AddHeader(response.headers, "x-ms-client-request-id", client_request_id);
                    }
                    AddCommonHeaders(response, nullptr);
                    pending->Complete(std::move(response));
                  });
  return Result{std::nullopt, std::move(pending)};
}

ApiResponse Api::RenderCreate(const CreateOutcome& outcome, const Route& route,
                              std::optional<KeyKind> key_kind, std::string request_id) const {
  ApiResponse response;
  const bool repeatability = key_kind == KeyKind::kRepeatabilityRequestId;
  switch (outcome.kind) {
    case CreateKind::kFinished: {
      const Snapshot& s = *outcome.snapshot;
      if (!s.has_result) {
        response.status = 204;
      } else if (s.result) {
        response.status = route.options.inline_status;
        response.content_type = s.result->content_type;
        response.body_view = s.result->body;
        response.hold = outcome.snapshot;
      } else {
        return RenderCreate(
            CreateOutcome{CreateKind::kAccepted, outcome.snapshot, outcome.replay, {}}, route,
            key_kind, std::move(request_id));
      }
      response.request_id = std::move(request_id);
      break;
    }
    case CreateKind::kAccepted: {
      const Snapshot& s = *outcome.snapshot;
      response.status = 202;
      const std::string url = StateUrl(render_, s.id);
      if (config_.mode == Mode::kFabric) {
        AddHeader(response.headers, "Location", url);
        AddHeader(response.headers, "x-ms-operation-id", s.id);
      } else {
        AddHeader(response.headers, "Operation-Location", url);
      }
      AddHeader(response.headers, "Retry-After", std::to_string(s.retry_after_s));
      response.request_id = std::move(request_id);
      break;
    }
    case CreateKind::kKeyConflict: {
      if (key_kind == KeyKind::kIdempotencyKey) {
        response =
            ErrorResponse(422,
                          Error("IdempotencyKeyReused",
                                "This Idempotency-Key was already used with a different request."),
                          std::move(request_id));
      } else if (key_kind == KeyKind::kOperationId) {
        response =
            ErrorResponse(400,
                          Error("OperationIdReused",
                                "This Operation-Id was already used with a different request."),
                          std::move(request_id));
      } else {
        response = ErrorResponse(
            400,
            Error("RepeatabilityConflict",
                  "This Repeatability-Request-ID was already used with a different request."),
            std::move(request_id));
        AddHeader(response.headers, "Repeatability-Result", "rejected");
        return response;
      }
      break;
    }
    case CreateKind::kKeyInFlight:
      response = ErrorResponse(
          409,
          Error("RequestInProgress",
                "The first request with this key is still being processed; retry shortly.", true),
          std::move(request_id));
      AddHeader(response.headers, "Retry-After", "1");
      break;
    case CreateKind::kKeyGone:
      response = ErrorResponse(409,
                               Error("IdempotencyKeyExpired",
                                     "The operation this key created has expired; use a new key."),
                               std::move(request_id));
      break;
    case CreateKind::kUnavailable:
      response = ErrorResponse(
          503,
          Error("ServiceUnavailable",
                "The operation could not be recorded; nothing was started. Retry.", true),
          std::move(request_id));
      AddHeader(response.headers, "Retry-After", "1");
      break;
  }
  if (repeatability) AddHeader(response.headers, "Repeatability-Result", "accepted");
  response.endpoint = Endpoint::kCreate;
  return response;
}

ApiResponse Api::Metrics() {
  ApiResponse response;
  response.content_type = "text/plain; version=0.0.4";
  std::string& out = response.body;
  out.reserve(8192);
  AppendMetricHeader(out, "lrod_http_responses_total", "counter", "HTTP responses by status.");
  for (std::size_t code = 100; code < metrics_.responses_by_status.size(); ++code) {
    const auto count = metrics_.responses_by_status[code].load(std::memory_order_relaxed);
    if (count == 0) continue;
    out += "lrod_http_responses_total{code=\"" + std::to_string(code) + "\"} " +
           std::to_string(count) + "\n";
  }
  AppendMetricHeader(out, "lrod_http_request_duration_seconds", "histogram",
                     "Time from a parsed request to its response written, by endpoint.");
  static constexpr const char* kEndpoints[] = {"state", "result",  "create", "cancel",
                                               "list",  "handler", "other"};
  for (std::size_t i = 0; i < metrics_.latency.size(); ++i) {
    AppendHistogram(out, "lrod_http_request_duration_seconds",
                    std::string("endpoint=\"") + kEndpoints[i] + "\"", metrics_.latency[i]);
  }
  auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t value) {
    AppendSample(out, name, "counter", help, static_cast<std::int64_t>(value));
  };
  counter("lrod_throttled_requests_total", "Requests answered 429 by the per-caller limit.",
          metrics_.throttled.load());
  counter("lrod_unauthorized_requests_total", "Requests answered 401.",
          metrics_.unauthorized.load());
  counter("lrod_connections_accepted_total", "TCP connections accepted.",
          metrics_.connections_accepted.load());
  counter("lrod_connections_rejected_total", "TCP connections closed at once (over the limit).",
          metrics_.connections_rejected.load());
  AppendMetricHeader(out, "lrod_connections_open", "gauge", "Open TCP connections.");
  out += "lrod_connections_open " + std::to_string(metrics_.connections_open.load()) + "\n";
  counter("lrod_operations_created_total", "Operations created.",
          metrics_.operations_created.load());
  counter("lrod_operations_answered_inline_total",
          "Operations that finished within the inline budget (200/201/204 instead of 202).",
          metrics_.operations_answered_inline.load());
  AppendMetricHeader(out, "lrod_operations_finished_total", "counter",
                     "Operations that reached a terminal status, by status.");
  for (auto status :
       {OperationStatus::kSucceeded, OperationStatus::kFailed, OperationStatus::kCanceled}) {
    out += std::string("lrod_operations_finished_total{status=\"") + OperationStatusName(status) +
           "\"} " +
           std::to_string(metrics_.operations_finished[static_cast<std::size_t>(status)].load()) +
           "\n";
  }
  counter("lrod_operations_recovered_rerun_total",
          "Unfinished operations re-run at start (idempotent handlers).",
          metrics_.operations_recovered_rerun.load());
  counter("lrod_operations_recovered_failed_total",
          "Unfinished operations failed at start (handlers that cannot be re-run).",
          metrics_.operations_recovered_failed.load());
  counter("lrod_operations_purged_total", "Finished operations deleted after retention.",
          metrics_.operations_purged.load());
  AppendMetricHeader(out, "lrod_operation_duration_seconds", "histogram",
                     "Time from creation to a terminal status.");
  AppendHistogram(out, "lrod_operation_duration_seconds", "", metrics_.operation_duration);
  counter("lrod_store_commits_total", "Store transactions (group commits).",
          metrics_.commits.load());
  counter("lrod_store_commit_failures_total", "Store transactions that failed.",
          metrics_.commit_failures.load());
  counter("lrod_store_committed_writes_total", "Operation writes committed.",
          metrics_.committed_writes.load());
  AppendMetricHeader(out, "lrod_store_commit_duration_seconds", "histogram",
                     "Duration of one store transaction, fsync included.");
  AppendHistogram(out, "lrod_store_commit_duration_seconds", "", metrics_.commit_latency);
  if (config_.watchers != nullptr) {
    AppendMetricHeader(out, "lrod_requests_waiting", "gauge",
                       "State reads held by Prefer: wait until a state change or their timeout.");
    out += "lrod_requests_waiting " + std::to_string(config_.watchers->size()) + "\n";
    AppendMetricHeader(out, "lrod_event_streams_open", "gauge",
                       "Open event streams (GET /v1/operations/events).");
    out += "lrod_event_streams_open " + std::to_string(config_.watchers->subscribers()) + "\n";
  }
  const Runtime::Gauges gauges = runtime_.ReadGauges();
  auto gauge = [&out](std::string_view name, std::string_view help, std::int64_t value) {
    AppendSample(out, name, "gauge", help, value);
  };
  gauge("lrod_operations_active", "Operations not finished (NotStarted or Running).",
        gauges.operations_active);
  gauge("lrod_executor_queue_depth", "Work steps waiting for an executor thread or a type slot.",
        static_cast<std::int64_t>(gauges.executor_queued));
  gauge("lrod_executor_running", "Work steps running now.",
        static_cast<std::int64_t>(gauges.executor_running));
  gauge("lrod_store_writer_queue_depth", "Writes waiting for the next group commit.",
        static_cast<std::int64_t>(gauges.writer_queued));
  gauge("lrod_operations_cached", "Operations held in memory.",
        static_cast<std::int64_t>(gauges.operations_cached));
  AppendMetricHeader(out, "lrod_operations", "gauge", "Stored operations by status.");
  for (auto status :
       {OperationStatus::kNotStarted, OperationStatus::kRunning, OperationStatus::kSucceeded,
        OperationStatus::kFailed, OperationStatus::kCanceled}) {
    std::int64_t count = 0;
    for (const auto& [s, n] : gauges.stored_by_status) {
      if (s == status) count = n;
    }
    out += "lrod_operations{status=\"";
    out += OperationStatusName(status);
    out += "\"} ";
    out += std::to_string(count);
    out += '\n';
  }
  return response;
}

}  // namespace lro::server::internal
