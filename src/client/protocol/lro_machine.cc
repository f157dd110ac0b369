#include "client/protocol/lro_machine.h"

#include <algorithm>
#include <utility>

#include "client/protocol/answers.h"
#include "client/protocol/final_state.h"
#include "client/protocol/google_operation.h"
#include "client/protocol/monitor_body.h"
#include "client/protocol/resume_token.h"
#include "client/protocol/url.h"
#include "wire/ascii.h"

namespace lro::internal {

const char* PurposeName(RequestPurpose purpose) {
  switch (purpose) {
    case RequestPurpose::kInitial:
      return "initial request";
    case RequestPurpose::kPoll:
      return "poll";
    case RequestPurpose::kFinalGet:
      return "result request";
    case RequestPurpose::kCancel:
      return "cancel request";
  }
  return "request";
}

LroMachine::LroMachine(SharedMachineConfig config, std::uint64_t seed, Instant now)
    : config_(std::move(config)),
      poll_backoff_(config_->polling.initial, config_->polling.multiplier, config_->polling.max,
                    config_->polling.jitter, seed),
      retry_backoff_(config_->retry.initial, config_->retry.multiplier, config_->retry.max,
                     config_->retry.jitter, seed + 1),
      next_at_(now.mono) {}

LroMachine::LroMachine(HttpRequest initial, SharedMachineConfig config, std::uint64_t seed,
                       Instant now)
    : LroMachine(std::move(config), seed, now) {
  initial_ = std::move(initial);
  decorator_ = RequestDecorator(initial_, *config_);
  // A POST gets an idempotency key unless it has one, so that it can be retried (SPEC §6); the
  // same values go with every attempt. A caller's Repeatability-Request-ID is kept as given.
  if (config_->options.add_repeatability_headers) {
    AddRepeatabilityHeaders(initial_, config_->new_id, now.wall);
  }
}

LroMachine LroMachine::ForMonitor(std::string monitor_url, SharedMachineConfig config,
                                  std::uint64_t seed, Instant now) {
  const PollingMode forced = config->options.mode;
  LroMachine machine(HttpRequest{"GET", monitor_url, {}, {}}, std::move(config), seed, now);
  machine.mode_ = ModeForMonitor(forced);
  machine.phase_ = Phase::kPolling;
  machine.monitor_url_ = std::move(monitor_url);
  machine.immediate_ = false;
  return machine;
}

Outgoing LroMachine::PendingRequest() const {
  switch (phase_) {
    case Phase::kInitial: {
      // A retry of the initial request carries the cookies its failed attempts were given.
      Outgoing out{initial_, RequestPurpose::kInitial, true};
      decorator_.AddCookies(out.request);
      return out;
    }
    case Phase::kPolling:
    case Phase::kFinalGet:
    case Phase::kDone: {
      Outgoing out{BuildRequest("GET", TargetUrl()), CurrentPurpose(), false};
      out.may_carry_credentials = decorator_.CredentialsAllowed(out.request.url, *config_);
      return out;
    }
  }
  return {};
}

Outgoing LroMachine::PendingRequestThatMayWait() {
  Outgoing out = PendingRequest();
  const std::chrono::seconds wait = config_->polling.prefer_wait;
  // Not for the resource itself (provisioningState), nor when the caller sent a Prefer header.
  if (phase_ != Phase::kPolling || mode_ == Mode::kBody || wait.count() <= 0 ||
      server_wait_ == ServerWait::kDeclined || FindHeader(out.request.headers, "Prefer")) {
    return out;
  }
  out.request.headers.push_back({"Prefer", "wait=" + std::to_string(wait.count())});
  out.asks_to_wait = true;
  asked_to_wait_ = true;
  return out;
}

bool LroMachine::NoteServerWait(const HttpResponse& response) {
  if (!Is2xx(response.status)) return false;
  const bool applied = WaitPreferenceApplied(response.headers);
  if (applied) {
    server_wait_ = ServerWait::kApplied;
  } else if (server_wait_ == ServerWait::kUnknown) {
    server_wait_ = ServerWait::kDeclined;
    Debug([] { return std::string("the server does not hold polls (no Preference-Applied)"); });
  }
  return applied;
}

HttpRequest LroMachine::BuildRequest(std::string method, std::string url) const {
  return decorator_.Build(std::move(method), std::move(url), *config_);
}

const std::string& LroMachine::TargetUrl() const {
  switch (phase_) {
    case Phase::kInitial:
      return initial_.url;
    case Phase::kPolling:
      return monitor_url_;
    case Phase::kFinalGet:
    case Phase::kDone:
      break;
  }
  return final_url_;
}

RequestPurpose LroMachine::CurrentPurpose() const {
  switch (phase_) {
    case Phase::kInitial:
      return RequestPurpose::kInitial;
    case Phase::kPolling:
      return RequestPurpose::kPoll;
    case Phase::kFinalGet:
    case Phase::kDone:
      break;
  }
  return RequestPurpose::kFinalGet;
}

void LroMachine::OnResponse(const HttpResponse& response, Instant now) {
  const bool asked_to_wait = std::exchange(asked_to_wait_, false);
  const std::string& request_url = TargetUrl();
  decorator_.RecordCookies(response.headers, request_url);
  Debug([&] {
    return std::string(std::string("response to ") + PurposeName(CurrentPurpose()) + ": HTTP " +
                       std::to_string(response.status) + ", " +
                       std::to_string(response.body.size()) + " bytes");
  });
  if (IsTransientHttpStatus(response.status)) {
    OnTransient("HTTP " + std::to_string(response.status), &response.headers, response.status, now);
    return;
  }
  consecutive_failures_ = 0;
  retry_cause_ = Status();
  if (auto id = FindHeader(response.headers, "x-ms-operation-id")) operation_id_ = *id;
  retry_backoff_.Reset();
  switch (phase_) {
    case Phase::kInitial:
      OnInitialResponse(response, now);
      break;
    case Phase::kPolling:
      answer_was_held_ = asked_to_wait && NoteServerWait(response);
      OnPollResponse(response, now);
      answer_was_held_ = false;
      break;
    case Phase::kFinalGet:
      OnFinalResponse(response, now);
      break;
    case Phase::kDone:
      break;
  }
}

void LroMachine::OnTransportError(const Status& error, Instant now) {
  asked_to_wait_ = false;
  if (phase_ == Phase::kDone) return;
  if (error.code() == StatusCode::kUnavailable) {
    OnTransient(error.message(), nullptr, 0, now);
    return;
  }
  Fail(error);
}

void LroMachine::Abandon(Status error) {
  if (phase_ != Phase::kDone) Fail(std::move(error));
}

bool LroMachine::InitialRequestIsRetriable() const {
  return wire::EqualsAnyIgnoreCase(initial_.method, {"put", "patch", "delete", "get"}) ||
         HasIdempotencyKey(initial_.headers);
}

void LroMachine::OnTransient(const std::string& cause, const Headers* headers, int http_status,
                             Instant now) {
  const char* purpose = PurposeName(CurrentPurpose());
  if (phase_ == Phase::kInitial && !InitialRequestIsRetriable()) {
    Status error(StatusCode::kUnavailable,
                 std::string(purpose) + " failed: " + cause +
                     " (not retried: a POST without an idempotency key could run twice)");
    error.set_http_status(http_status);
    Fail(std::move(error));
    return;
  }
  ++consecutive_failures_;
  if (consecutive_failures_ >= std::max(config_->retry.max_attempts, 1)) {
    Status error(StatusCode::kUnavailable, consecutive_failures_ == 1
                                               ? std::string(purpose) + " failed: " + cause
                                               : std::string(purpose) + " failed " +
                                                     std::to_string(consecutive_failures_) +
                                                     " times in a row; last: " + cause);
    error.set_http_status(http_status);
    Fail(std::move(error));
    return;
  }
  std::optional<milliseconds> hint;
  if (headers != nullptr) {
    hint = ParseServerDelay(*headers, now.wall, config_->polling.max_server_delay);
  }
  const milliseconds delay = std::max(hint.value_or(retry_backoff_.Next()), config_->polling.floor);
  next_at_ = now.mono + delay;
  immediate_ = false;
  std::string failure = std::string(purpose) + " failed: " + cause;
  config_->logger.Log(LogLevel::kWarning, failure + "; retry " +
                                              std::to_string(consecutive_failures_) + "/" +
                                              std::to_string(config_->retry.max_attempts - 1) +
                                              " in " + std::to_string(delay.count()) + " ms");
  retry_cause_ = Status(StatusCode::kUnavailable, std::move(failure));
  retry_cause_.set_http_status(http_status);
}

void LroMachine::RecordLinks(const HttpResponse& response, const std::string& request_url) {
  if (auto location = FindHeader(response.headers, "Location")) {
    auto resolved = ResolveUrl(request_url, *location);
    if (resolved.ok()) {
      location_ = *resolved;
    } else {
      config_->logger.Log(LogLevel::kWarning, "ignoring Location: " + resolved.status().message());
    }
  }
}

void LroMachine::OnInitialResponse(const HttpResponse& response, Instant now) {
  const int status = response.status;
  if (!Is2xx(status)) {
    Fail(HttpFailure("initial request", response));
    return;
  }
  const std::string& url = initial_.url;
  RecordLinks(response, url);
  const auto body = ParseBody(response.body);
  const std::optional<LroStatus> body_status = body ? BodyStatus(*body) : std::nullopt;
  auto detected = DetectPollingMode(
      FirstAnswer{initial_.method, url, response, body ? &*body : nullptr, location_},
      config_->options);
  if (!detected.ok()) {
    Fail(detected.status());
    return;
  }
  const Mode mode = detected->mode;

  if (mode == Mode::kNone) {
    if (status == 202) {
      // A Location that is there but does not resolve was set aside by RecordLinks: say so
      // rather than claim there was none.
      Fail(FindHeader(response.headers, "Location")
               ? ProtocolError("202 Accepted whose only link, the Location header, is not a "
                               "usable URL")
               : ProtocolError("202 Accepted without a way to poll (no Operation-Location, "
                               "Azure-AsyncOperation, Location or x-ms-operation-id)"));
      return;
    }
    mode_ = Mode::kNone;
    Debug([&] { return std::string("finished synchronously: HTTP " + std::to_string(status)); });
    if (status != 204 && !response.body.empty() && !body && DeclaresJson(response)) {
      // The body may hold a provisioningState or a status the client could not read: it
      // cannot know that the operation is done.
      Fail(UnreadableJson("the initial request", response));
      return;
    }
    state_.status = KnownStatus(StatusKind::kSucceeded);
    if (status == 204 || response.body.empty()) {
      Succeed(NoResult(status));
    } else {
      Succeed(ResultFrom(response));
    }
    return;
  }

  if (mode == Mode::kGoogle) {
    mode_ = mode;
    phase_ = Phase::kPolling;
    monitor_url_ = std::move(detected->monitor_url);
    state_.status = LroStatus{StatusKind::kRunning, "", true};
    Debug([&] { return std::string("polling mode google, operation " + RedactUrl(monitor_url_)); });
    OnGoogleBody(response, *body, now);
    return;
  }

  // The initial body may already say the operation is over: then nothing is polled.
  if (body_status && body_status->terminal()) {
    mode_ = mode;
    state_.status = *body_status;
    Debug([&] { return std::string("initial response already terminal: " + body_status->raw); });
    if (body_status->kind == StatusKind::kSucceeded) {
      Succeed(ResultFrom(response));
    } else {
      OnTerminalFailure(*body);
    }
    return;
  }
  StartPolling(mode, std::move(detected->monitor_url), response, now);
}

void LroMachine::StartPolling(Mode mode, std::string monitor_url, const HttpResponse& response,
                              Instant now) {
  mode_ = mode;
  phase_ = Phase::kPolling;
  monitor_url_ = std::move(monitor_url);
  // Until the service reports a status, there is none to show: raw stays empty.
  state_.status = LroStatus{StatusKind::kRunning, "", true};
  if (auto body = ParseBody(response.body)) {
    if (auto status = BodyStatus(*body)) state_.status = *status;
  }
  Debug([&] {
    return std::string(std::string("polling mode ") + ModeName(mode) + ", monitor " +
                       RedactUrl(monitor_url_));
  });
  ScheduleNextPoll(response.headers, now);
}

void LroMachine::ScheduleNextPoll(const Headers& headers, Instant now) {
  const auto hint = ParseServerDelay(headers, now.wall, config_->polling.max_server_delay);
  // The client's own backoff advances only when it decides (value_or would advance it on every
  // poll, server hint or not).
  const milliseconds delay = std::max(hint ? *hint : poll_backoff_.Next(), config_->polling.floor);
  // A held poll is answered when the state changes: the delay bounds how often the client
  // asks, so it counts from when that poll was due rather than from its answer.
  const MonotonicTime from = answer_was_held_ ? next_at_ : now.mono;
  next_at_ = std::max(now.mono, from + delay);
  immediate_ = false;
  Debug([&] {
    return std::string("next poll in " + std::to_string(delay.count()) + " ms" +
                       (hint ? " (server asked)" : " (client policy)"));
  });
}

void LroMachine::OnPollResponse(const HttpResponse& response, Instant now) {
  // What was polled: monitor_url_ until the monitor moves (then the URL it moved from is
  // kept), without a copy per poll.
  std::string moved_from;
  const std::string* polled = &monitor_url_;
  RecordLinks(response, *polled);
  if (!Is2xx(response.status)) {
    Fail(HttpFailure("poll of " + RedactUrl(*polled), response));
    return;
  }
  // A status monitor may move: follow the latest Operation-Location / Azure-AsyncOperation.
  const char* moving_header = mode_ == Mode::kOperationLocation     ? "Operation-Location"
                              : mode_ == Mode::kAzureAsyncOperation ? "Azure-AsyncOperation"
                                                                    : nullptr;
  if (moving_header != nullptr) {
    if (auto link = FindHeader(response.headers, moving_header)) {
      if (auto resolved = ResolveUrl(*polled, *link); resolved.ok() && *resolved != monitor_url_) {
        moved_from = std::move(monitor_url_);
        polled = &moved_from;
        monitor_url_ = std::move(*resolved);
      }
    }
  }

  switch (mode_) {
    case Mode::kLocation: {
      if (response.status == 202) {
        state_.status = KnownStatus(StatusKind::kRunning);
        if (!location_.empty()) monitor_url_ = location_;
        ScheduleNextPoll(response.headers, now);
        return;
      }
      if (response.status == 204) {
        state_.status = KnownStatus(StatusKind::kSucceeded);
        Succeed(NoResult(204));
        return;
      }
      const auto body = ParseBody(response.body);
      if (body) {
        if (auto status = StringField(*body, "status"); status && ClassifyStatus(*status).known) {
          // A Fabric state endpoint whose id header a proxy stripped (SPEC §3, step 4).
          Debug([&] {
            return std::string(
                "Location answers with an LRO status: reading it as a status monitor");
          });
          mode_ = Mode::kFabric;
          OnMonitorBody(response, *body, now);
          return;
        }
        if (IsGoogleOperation(*body)) {
          Debug([&] { return std::string("Location answers with a Google Operation"); });
          mode_ = Mode::kGoogle;
          OnGoogleBody(response, *body, now);
          return;
        }
      } else if (!response.body.empty() && DeclaresJson(response)) {
        Fail(UnreadableJson("the poll of " + RedactUrl(*polled), response));
        return;
      }
      state_.status = KnownStatus(StatusKind::kSucceeded);
      Succeed(ResultFrom(response));
      return;
    }
    case Mode::kBody: {
      if (response.status == 202) {
        ScheduleNextPoll(response.headers, now);
        return;
      }
      if (response.status == 204 || response.body.empty()) {
        state_.status = KnownStatus(StatusKind::kSucceeded);
        Succeed(NoResult(response.status));
        return;
      }
      const auto body = ParseBody(response.body);
      if (!body) {
        Fail(ProtocolError("the resource answered invalid JSON while polling provisioningState"));
        return;
      }
      const auto state = ProvisioningState(*body);
      state_.status = state ? ClassifyStatus(*state) : KnownStatus(StatusKind::kSucceeded);
      if (!state_.status.known) {
        config_->logger.Log(LogLevel::kInfo,
                            "unknown provisioningState '" + state_.status.raw + "': polling on");
      }
      if (state_.status.kind == StatusKind::kSucceeded) {
        Succeed(ResultFrom(response));
      } else if (state_.status.terminal()) {
        OnTerminalFailure(*body);
      } else {
        ScheduleNextPoll(response.headers, now);
      }
      return;
    }
    case Mode::kGoogle: {
      const auto body = ParseBody(response.body);
      if (!body) {
        Fail(UnreadableJson("the poll of " + RedactUrl(*polled), response));
        return;
      }
      OnGoogleBody(response, *body, now);
      return;
    }
    default:
      break;
  }

  // Status monitor modes.
  if (response.status == 202 && response.body.empty()) {
    ScheduleNextPoll(response.headers, now);
    return;
  }
  // A running monitor (most polls) is read from the text; a terminal one, or one only the DOM
  // reads, is parsed: where the result is, or why it failed, needs the whole body.
  ScannedMonitor scanned = ScanMonitorBody(response.body);
  if (scanned.outcome == MonitorScan::kNotJson) {
    Fail(ProtocolError("the status monitor answered invalid JSON (HTTP " +
                       std::to_string(response.status) + ")"));
    return;
  }
  if (scanned.outcome == MonitorScan::kRead && !scanned.reading.status.terminal()) {
    OnMonitorReading(response, std::move(scanned.reading), nullptr, now);
    return;
  }
  const auto body = ParseBody(response.body);
  if (!body) {  // (the scan found it JSON: the same parser, the same verdict)
    Fail(ProtocolError("the status monitor answered invalid JSON (HTTP " +
                       std::to_string(response.status) + ")"));
    return;
  }
  if (scanned.outcome == MonitorScan::kRead) {
    // A terminal status: what the scan read stands; the body is for the result or the error.
    OnMonitorReading(response, std::move(scanned.reading), &*body, now);
    return;
  }
  OnMonitorBody(response, *body, now);
}

void LroMachine::OnMonitorBody(const HttpResponse& response, const boost::json::value& body,
                               Instant now) {
  auto reading = ReadMonitorBody(body);
  if (!reading.ok()) {
    Fail(reading.status());
    return;
  }
  OnMonitorReading(response, std::move(*reading), &body, now);
}

void LroMachine::OnMonitorReading(const HttpResponse& response, MonitorReading reading,
                                  const boost::json::value* body, Instant now) {
  if (operation_id_.empty() && !reading.id.empty()) operation_id_ = std::move(reading.id);
  const LroStatus previous = state_.status;
  state_.status = std::move(reading.status);
  if (!state_.status.known && state_.status.raw != previous.raw) {
    config_->logger.LogLazily(
        LogLevel::kInfo, [&] { return "unknown status '" + state_.status.raw + "': polling on"; });
  }
  if (reading.percent_complete) state_.percent_complete = *reading.percent_complete;
  if (reading.created) state_.created = reading.created;
  if (reading.last_updated) state_.last_updated = reading.last_updated;
  if (reading.has_error) state_.error = std::move(reading.error);
  if (state_.status.terminal() && body == nullptr) {
    Fail(ProtocolError("internal: a terminal status monitor read without its body"));
  } else if (state_.status.kind == StatusKind::kSucceeded) {
    OnTerminalSuccess(response, *body);
  } else if (state_.status.terminal()) {
    OnTerminalFailure(*body);
  } else {
    // A running Fabric monitor names itself in Location; follow it if it moves.
    if (mode_ == Mode::kFabric) {
      if (auto location = FindHeader(response.headers, "Location")) {
        if (auto url = ResolveUrl(monitor_url_, *location); url.ok()) monitor_url_ = *url;
      }
    }
    ScheduleNextPoll(response.headers, now);
  }
}

void LroMachine::OnTerminalSuccess(const HttpResponse& response, const boost::json::value& body) {
  auto step = FinalStepOnSuccess(SucceededAnswer{mode_, initial_.method, initial_.url, monitor_url_,
                                                 location_, config_->options.final_state_via,
                                                 response, body});
  if (!step.ok()) {
    Fail(step.status());
  } else if (step->final_get_url) {
    StartFinalGet(std::move(*step->final_get_url));
  } else {
    Succeed(std::move(*step->result));
  }
}

void LroMachine::OnTerminalFailure(const boost::json::value& body) {
  auto failure = TerminalFailure(state_.status, state_.error.get(), body);
  state_.error = std::move(failure.error);
  Fail(std::move(failure.status));
}

void LroMachine::OnGoogleBody(const HttpResponse& response, const boost::json::value& body,
                              Instant now) {
  auto operation = ReadGoogleOperation(body);
  if (!operation.ok()) {
    Fail(operation.status());
    return;
  }
  if (!operation->name.empty()) operation_id_ = operation->name;
  if (operation->percent_complete) state_.percent_complete = operation->percent_complete;
  if (!operation->done) {
    state_.status = KnownStatus(StatusKind::kRunning);
    ScheduleNextPoll(response.headers, now);
    return;
  }
  if (operation->error) {
    // google.rpc.Code 1 (CANCELLED) is a canceled operation; any other is a failure.
    state_.status = operation->rpc_code == 1 ? KnownStatus(StatusKind::kCanceled)
                                             : KnownStatus(StatusKind::kFailed);
    state_.error = std::move(*operation->error);
    OnTerminalFailure(body);
    return;
  }
  state_.status = KnownStatus(StatusKind::kSucceeded);
  if (operation->response) {
    Succeed(JsonResult(*operation->response, response.status));
  } else {
    Succeed(NoResult(response.status));
  }
}

void LroMachine::StartFinalGet(std::string url) {
  final_url_ = std::move(url);
  phase_ = Phase::kFinalGet;
  immediate_ = true;
  Debug([&] {
    return std::string("operation succeeded; fetching the result from " + RedactUrl(final_url_));
  });
}

void LroMachine::OnFinalResponse(const HttpResponse& response, Instant /*now*/) {
  if (!Is2xx(response.status)) {
    Fail(HttpFailure("fetching the result from " + RedactUrl(final_url_), response));
    return;
  }
  if (response.status == 204) {
    Succeed(NoResult(204));
    return;
  }
  Succeed(ResultFrom(response));
}

void LroMachine::Succeed(Result result) {
  result_ = std::move(result);
  error_ = Status();
  phase_ = Phase::kDone;
  immediate_ = false;
  Debug([&] {
    return std::string("operation done: succeeded" +
                       std::string(result_->has_value ? "" : ", no result"));
  });
}

void LroMachine::Fail(Status error) {
  Debug([&] { return std::string("operation done: " + error.ToString()); });
  error_ = std::move(error);
  result_.reset();
  phase_ = Phase::kDone;
  immediate_ = false;
}

StatusOr<Result> LroMachine::outcome() const {
  if (phase_ != Phase::kDone) {
    return Status(StatusCode::kFailedPrecondition, "the operation is not done");
  }
  if (result_) return *result_;
  return error_;
}

StatusOr<Outgoing> LroMachine::CancelRequest() const {
  const bool monitor_mode = mode_ == Mode::kOperationLocation ||
                            mode_ == Mode::kAzureAsyncOperation || mode_ == Mode::kFabric ||
                            mode_ == Mode::kGoogle;
  CancelStyle style = config_->options.cancel_style;
  if (style == CancelStyle::kAuto) {
    style = monitor_mode ? CancelStyle::kPostMonitorCancel : CancelStyle::kNone;
  }
  if (style != CancelStyle::kNone && style != CancelStyle::kCustom && monitor_url_.empty()) {
    return Status(StatusCode::kFailedPrecondition, "the operation has no status monitor yet");
  }
  HttpRequest request;
  switch (style) {
    case CancelStyle::kAuto:
    case CancelStyle::kNone:
      return Status(StatusCode::kFailedPrecondition,
                    std::string("no cancel for this operation (polling mode ") + ModeName(mode_) +
                        "); set OperationOptions.cancel_style if the service has one");
    case CancelStyle::kPostMonitorCancel:
      request = BuildRequest("POST", AppendToPath(monitor_url_, ":cancel"));
      break;
    case CancelStyle::kDeleteMonitor:
      request = BuildRequest("DELETE", monitor_url_);
      break;
    case CancelStyle::kCustom: {
      if (!config_->options.cancel_request) {
        return Status(StatusCode::kInvalidArgument, "CancelStyle::kCustom without cancel_request");
      }
      const auto& custom = *config_->options.cancel_request;
      request = BuildRequest(custom.method, custom.url);
      request.body = custom.body;
      request.headers.insert(request.headers.end(), custom.headers.begin(), custom.headers.end());
      break;
    }
  }
  Outgoing out{std::move(request), RequestPurpose::kCancel, false};
  out.may_carry_credentials = decorator_.CredentialsAllowed(out.request.url, *config_);
  return out;
}

Status LroMachine::OnCancelResponse(const HttpResponse& response, Instant now) {
  decorator_.RecordCookies(response.headers, monitor_url_);
  if (!Is2xx(response.status)) return HttpFailure("cancel request", response);
  // Poll again soon to see the cancellation land; an Azure cancel answers with the monitor.
  next_at_ = std::min(next_at_, now.mono + config_->polling.floor);
  if (phase_ == Phase::kPolling) {
    if (auto body = ParseBody(response.body); body && StringField(*body, "status")) {
      if (mode_ != Mode::kLocation && mode_ != Mode::kBody && mode_ != Mode::kGoogle) {
        OnMonitorBody(response, *body, now);
      }
    }
  }
  return Status();
}

std::string LroMachine::ResumeToken() const {
  ResumeTokenFields fields;
  fields.method = initial_.method;
  fields.original_url = initial_.url;
  fields.mode = ModeName(mode_);
  fields.monitor_url = monitor_url_;
  fields.location = location_;
  fields.final_url = final_url_;
  fields.api_version = decorator_.api_version();
  fields.headers = decorator_.carried_headers();
  fields.status = state_.status.raw;
  // Resuming re-reads the monitor, or re-fetches the result: both are repeatable.
  fields.phase = phase_ == Phase::kFinalGet ? "final" : "polling";
  if (phase_ == Phase::kDone) {
    if (mode_ == Mode::kNone || mode_ == Mode::kUnknown) {
      fields.phase = "done";
      fields.succeeded = result_.has_value();
      if (result_ && result_->has_value) fields.result = *result_;
      if (!result_) fields.error_message = error_.message();
    } else if (!final_url_.empty() && result_) {
      fields.phase = "final";
    }
  }
  return EncodeResumeToken(fields);
}

StatusOr<LroMachine> LroMachine::FromResumeToken(std::string_view token, SharedMachineConfig config,
                                                 std::uint64_t seed, Instant now) {
  auto fields = DecodeResumeToken(token);
  if (!fields.ok()) return fields.status();
  const Mode mode = ModeFromName(fields->mode);
  if (mode == Mode::kUnknown) {
    return Status(StatusCode::kInvalidArgument,
                  "resume token: unknown mode '" + fields->mode + "'");
  }
  HttpRequest initial{fields->method, fields->original_url, fields->headers, {}};
  LroMachine machine(std::move(initial), std::move(config), seed, now);
  machine.mode_ = mode;
  machine.monitor_url_ = fields->monitor_url;
  machine.location_ = fields->location;
  machine.final_url_ = fields->final_url;
  machine.decorator_.set_api_version(fields->api_version);
  machine.state_.status = fields->status.empty() ? LroStatus{StatusKind::kRunning, "", true}
                                                 : ClassifyStatus(fields->status);
  machine.immediate_ = false;
  if (fields->phase == "done") {
    machine.phase_ = Phase::kDone;
    if (fields->succeeded) {
      machine.result_ = fields->result.value_or(Result{});
    } else {
      machine.error_ = Status(StatusCode::kOperationFailed, fields->error_message);
    }
  } else if (fields->phase == "final") {
    if (machine.final_url_.empty()) {
      return Status(StatusCode::kInvalidArgument, "resume token: final phase without a result URL");
    }
    machine.phase_ = Phase::kFinalGet;
  } else {
    if (machine.monitor_url_.empty()) {
      return Status(StatusCode::kInvalidArgument, "resume token: no status monitor URL");
    }
    machine.phase_ = Phase::kPolling;
  }
  return machine;
}

}  // namespace lro::internal
