// The LRO protocol as a sans-IO state machine (SPEC §1–§6): it says which request to send
// and when; it is told what came back. It does no I/O, reads no clock and draws no random
// number: time comes in as a parameter, ids from MachineConfig::new_id, jitter from `seed`.
// It keeps only the phase transitions; the rules live in units of their own: detection.h
// (the polling mode), monitor_body.h (a monitor's body), final_state.h (the result or the
// failure), request_decorator.h (headers, cookies, api-version, credential scope).
// Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/policies/delay.h"
#include "client/protocol/detection.h"
#include "client/protocol/machine_config.h"
#include "client/protocol/monitor_body.h"
#include "client/protocol/request_decorator.h"
#include "lro/http.h"
#include "lro/operation_state.h"
#include "lro/options.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro::internal {

// "Now", in both clocks: monotonic for delays, wall for HTTP-date headers.
struct Instant {
  MonotonicTime mono;
  std::chrono::system_clock::time_point wall;
};

enum class RequestPurpose { kInitial, kPoll, kFinalGet, kCancel };
const char* PurposeName(RequestPurpose purpose);

// A request the machine wants sent. Credentials of the client (not the caller's own
// headers, which the machine scopes itself) go on it only when may_carry_credentials.
struct Outgoing {
  HttpRequest request;
  RequestPurpose purpose = RequestPurpose::kPoll;
  bool may_carry_credentials = false;
  // The request asks the server to hold it until the state changes (`Prefer: wait`).
  bool asks_to_wait = false;
};

enum class Phase { kInitial, kPolling, kFinalGet, kDone };

class LroMachine {
 public:
  // A new operation whose first request is `initial`. `initial.url` must be absolute.
  // `seed` varies the jitter of this operation's delays.
  LroMachine(HttpRequest initial, SharedMachineConfig config, std::uint64_t seed, Instant now);
  // An operation known only by its status monitor URL (started elsewhere).
  static LroMachine ForMonitor(std::string monitor_url, SharedMachineConfig config,
                               std::uint64_t seed, Instant now);
  // An operation rebuilt from ResumeToken(); kInvalidArgument when the token is unusable.
  static StatusOr<LroMachine> FromResumeToken(std::string_view token, SharedMachineConfig config,
                                              std::uint64_t seed, Instant now);

  [[nodiscard]] bool done() const { return phase_ == Phase::kDone; }
  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] Mode mode() const { return mode_; }
  // What polls GET; empty before the start is answered or when nothing is polled.
  [[nodiscard]] const std::string& monitor_url() const { return monitor_url_; }
  // The operation's id as the service gave it: x-ms-operation-id, a Google operation's name,
  // a status monitor's `id`. Empty until one is seen.
  [[nodiscard]] const std::string& operation_id() const { return operation_id_; }
  // When the pending request is due.
  [[nodiscard]] MonotonicTime next_at() const { return next_at_; }
  // True when the pending request follows at once from the last answer (the final GET after a
  // terminal poll): a "step" of the operation goes on to send it.
  [[nodiscard]] bool immediate() const { return immediate_; }

  // The request the operation needs next. REQUIRES: !done().
  [[nodiscard]] Outgoing PendingRequest() const;
  // As PendingRequest(), for a step of an automatic wait: a poll asks `Prefer: wait=N`
  // (PollingPolicy::prefer_wait) on the operation's first poll and, after that, only while
  // the server applies it. Remembers that it asked, for the answer. REQUIRES: !done().
  [[nodiscard]] Outgoing PendingRequestThatMayWait();
  // The answer to the last PendingRequest().
  void OnResponse(const HttpResponse& response, Instant now);
  // The last PendingRequest() failed in transport (kUnavailable, kProtocolError, …). Do not
  // call for kCancelled: a cancelled request is simply sent again later.
  void OnTransportError(const Status& error, Instant now);
  // Ends the operation locally with `error` (e.g. the start was abandoned).
  void Abandon(Status error);

  // Server-side cancel (SPEC §7): the request to send, or kFailedPrecondition.
  // REQUIRES: !done().
  [[nodiscard]] StatusOr<Outgoing> CancelRequest() const;
  // The cancel request's answer; OK when the service accepted it.
  Status OnCancelResponse(const HttpResponse& response, Instant now);

  // Why the pending request is a retry: the last request failed transiently and a retry is
  // scheduled at next_at(), the state left as it was. OK when the last answer was read.
  [[nodiscard]] const Status& retry_cause() const { return retry_cause_; }

  [[nodiscard]] const OperationState& state() const { return state_; }
  // Once done: the result or why there is none; kFailedPrecondition before.
  [[nodiscard]] StatusOr<Result> outcome() const;
  [[nodiscard]] std::string ResumeToken() const;

 private:
  LroMachine(SharedMachineConfig config, std::uint64_t seed, Instant now);

  void OnInitialResponse(const HttpResponse& response, Instant now);
  void OnPollResponse(const HttpResponse& response, Instant now);
  void OnMonitorBody(const HttpResponse& response, const boost::json::value& body, Instant now);
  // What a monitor said, read from its body or its text. `body` is the parsed body, which a
  // terminal status needs (the result, the error); nullptr for a running one read from text.
  void OnMonitorReading(const HttpResponse& response, MonitorReading reading,
                        const boost::json::value* body, Instant now);
  void OnFinalResponse(const HttpResponse& response, Instant now);
  void OnTerminalSuccess(const HttpResponse& response, const boost::json::value& body);
  void OnTerminalFailure(const boost::json::value& body);
  // A Google Operation body (SPEC §3 step 6), from the start or a poll.
  void OnGoogleBody(const HttpResponse& response, const boost::json::value& body, Instant now);
  // A retryable failure (SPEC §6): schedule a retry within the budget, or fail.
  void OnTransient(const std::string& cause, const Headers* headers, int http_status, Instant now);

  void StartPolling(Mode mode, std::string monitor_url, const HttpResponse& response, Instant now);
  void ScheduleNextPoll(const Headers& headers, Instant now);
  // Learns from the answer to a poll that asked to be held whether the server holds polls
  // (Preference-Applied); true when it held this one.
  bool NoteServerWait(const HttpResponse& response);
  void StartFinalGet(std::string url);
  void Succeed(Result result);
  void Fail(Status error);
  void RecordLinks(const HttpResponse& response, const std::string& request_url);
  bool InitialRequestIsRetriable() const;
  HttpRequest BuildRequest(std::string method, std::string url) const;
  template <typename MakeMessage>
  void Debug(MakeMessage&& make_message) const {
    config_->logger.LogLazily(LogLevel::kDebug, std::forward<MakeMessage>(make_message));
  }
  // The URL of the request the current phase sends (before api-version is added).
  [[nodiscard]] const std::string& TargetUrl() const;
  [[nodiscard]] RequestPurpose CurrentPurpose() const;

  SharedMachineConfig config_;
  Backoff poll_backoff_;
  Backoff retry_backoff_;

  HttpRequest initial_;
  RequestDecorator decorator_;

  Mode mode_ = Mode::kUnknown;
  Phase phase_ = Phase::kInitial;
  std::string monitor_url_;  // what polls GET
  std::string location_;     // the latest Location seen
  std::string final_url_;    // what the final GET fetches
  std::string operation_id_;
  MonotonicTime next_at_;
  bool immediate_ = true;
  int consecutive_failures_ = 0;
  Status retry_cause_;

  // Whether the server holds this operation's polls (`Prefer: wait`), learnt from the first
  // poll that asked.
  enum class ServerWait { kUnknown, kApplied, kDeclined };
  ServerWait server_wait_ = ServerWait::kUnknown;
  bool asked_to_wait_ = false;    // the request being answered asked to be held
  bool answer_was_held_ = false;  // the answer being read applied the wait

  OperationState state_;
  std::optional<Result> result_;
  Status error_;
};

}  // namespace lro::internal
