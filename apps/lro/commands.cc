#include "commands.h"

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "exit_codes.h"
#include "format.h"
#include "inputs.h"
#include "interrupt.h"
#include "lro/client.h"
#include "observing_clock.h"
#include "reporter.h"

namespace lro::cli {
namespace {

using std::chrono::milliseconds;

milliseconds FromSeconds(double seconds) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(seconds));
}

// Writes bytes to stdout exactly as given.
void WriteStdout(std::string_view bytes) {
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

// One command's world: the client, the display, Ctrl-C and the deadline.
class Session {
 public:
  explicit Session(const Arguments& args)
      : args_(args),
        common_(args.common),
        clock_(std::make_shared<ObservingClock>()),
        reporter_(ChooseDisplayMode(common_.quiet, common_.json), common_.verbose, clock_),
        client_(MakeClientOptions()) {
    operation_options_.mode = common_.mode;
    operation_options_.final_state_via = common_.final_state_via;
    operation_options_.add_repeatability_headers = !args.start.no_idempotency_key;
    if (common_.timeout_seconds) {
      deadline_ = std::chrono::steady_clock::now() + FromSeconds(*common_.timeout_seconds);
      interrupt_.SetDeadline(deadline_);
    }
  }

  // How to go on with the token just printed on stdout.
  [[nodiscard]] std::string ResumeHint() const {
    return std::string("its resume token is on stdout; `lro wait TOKEN` picks it up") +
           (common_.bearer.empty() ? "" : " (pass --bearer again: tokens hold no credentials)");
  }

  int Run() {
    switch (args_.command) {
      case Command::kStart:
        return Start();
      case Command::kWait:
        return Wait();
      case Command::kStatus:
        return StatusCommand();
      case Command::kResult:
        return ResultCommand();
      case Command::kCancel:
        return CancelCommand();
    }
    return ToInt(ExitCode::kUsage);
  }

 private:
  ClientOptions MakeClientOptions() {
    ClientOptions options;
    options.curl.ca_file = common_.ca_file;
    options.clock = clock_;
    if (!common_.bearer.empty()) {
      options.credentials = [bearer = common_.bearer]() -> StatusOr<Headers> {
        return Headers{{"Authorization", "Bearer " + bearer}};
      };
    }
    options.allowed_credential_hosts = common_.allowed_hosts;
    if (common_.interval_seconds) {
      options.polling = PollingPolicy::Fixed(FromSeconds(*common_.interval_seconds));
    }
    options.polling.prefer_wait = std::chrono::seconds(common_.prefer_wait_seconds);
    options.log = [this](LogLevel level, std::string_view message) {
      reporter_.OnLog(level, message);
    };
    options.log_level = common_.verbose ? LogLevel::kDebug : LogLevel::kInfo;
    return options;
  }

  // --- start -----------------------------------------------------------------------------

  StatusOr<Request> BuildRequest() const {
    Request request(args_.start.method, args_.start.url);
    for (const std::string& text : args_.start.headers) {
      auto header = ParseHeader(text);
      if (!header.ok()) return header.status();
      request.Header(header->name, header->value);
    }
    if (args_.start.data) {
      auto body = ReadData(*args_.start.data);
      if (!body.ok()) return body.status();
      request.Json(std::move(*body));  // adds Content-Type: application/json unless -H set one
    }
    return request;
  }

  int Start() {
    auto request = BuildRequest();
    if (!request.ok()) return Fail(request.status());
    Poller poller = client_.Start(*request, operation_options_, interrupt_.token());
    if (poller.IsDone()) {
      StatusOr<Result> outcome = poller.Outcome();
      const StatusCode code = outcome.status().code();
      if (code == StatusCode::kCancelled || code == StatusCode::kStopped) {
        const ExitCode exit = EarlyExitCode(outcome.status());
        reporter_.Problem(std::string(exit == ExitCode::kTimeout ? "timed out" : "interrupted") +
                          " before the service answered the initial request; the operation may "
                          "or may not have started");
        reporter_.Event(exit == ExitCode::kTimeout ? "timeout" : "interrupted");
        return ToInt(exit);
      }
      if (!outcome.ok() || !args_.start.no_wait) return Conclude(poller, outcome);
      reporter_.Notice("the operation finished synchronously (" +
                       StatusText(poller.State().status) + ")");
    }
    if (args_.start.no_wait) return PrintStarted(poller);
    return WaitFor(poller);
  }

  // --no-wait: the resume token (or, with --json, the state with it) on stdout.
  int PrintStarted(Poller& poller) {
    auto token = poller.ResumeToken();
    if (!token.ok()) return Fail(token.status());
    if (common_.json) {
      boost::json::object out = StateToJson(poller.State());
      out["resumeToken"] = *token;
      WriteStdout(boost::json::serialize(out) + "\n");
    } else {
      WriteStdout(*token + "\n");
    }
    if (!poller.IsDone()) {
      reporter_.Notice("the operation started; " + ResumeHint());
    }
    return ToInt(ExitCode::kOk);
  }

  // --- wait, status, result, cancel ------------------------------------------------------

  // The operation named on the command line; `kind` says how it was named.
  StatusOr<Poller> Open(Target::Kind* kind = nullptr) {
    auto target = ResolveTarget(args_.target.target);
    if (!target.ok()) return target.status();
    if (kind != nullptr) *kind = target->kind;
    if (target->kind == Target::Kind::kMonitorUrl) {
      return client_.Watch(target->text, operation_options_);
    }
    return client_.Resume(target->text, operation_options_);
  }

  int Wait() {
    auto poller = Open();
    if (!poller.ok()) return Fail(poller.status());
    return WaitFor(*poller);
  }

  // status, result and a bare cancel ask the service once and report what it said, or why it
  // could not be asked: a failed request is not retried (nor announced as retried).
  void AskOnce() {
    RetryPolicy once;  // the client's policy: MakeClientOptions keeps the default
    once.max_attempts = 1;
    operation_options_.retry = once;
  }

  int StatusCommand() {
    AskOnce();
    auto poller = Open();
    if (!poller.ok()) return Fail(poller.status());
    if (const Status polled = poller->Poll(interrupt_.token()); !polled.ok()) {
      return Stopped(polled) ? EndedEarly(*poller, polled) : Fail(polled);
    }
    PrintState(*poller);
    return ToInt(ExitCode::kOk);
  }

  int ResultCommand() {
    AskOnce();
    auto poller = Open();
    if (!poller.ok()) return Fail(poller.status());
    if (!poller->IsDone()) {
      if (const Status polled = poller->Poll(interrupt_.token()); !polled.ok()) {
        return Stopped(polled) ? EndedEarly(*poller, polled) : Fail(polled);
      }
    }
    if (!poller->IsDone()) {
      const OperationState state = poller->State();
      std::string status = StatusText(state.status);
      if (state.percent_complete) status += ", " + std::to_string(*state.percent_complete) + "%";
      reporter_.Problem("the operation has not finished yet (" + status +
                        "); `lro wait` waits for it");
      reporter_.Event("notFinished", {{"state", StateToJson(state)}});
      return ToInt(ExitCode::kNotFinished);
    }
    return Conclude(*poller, poller->Outcome());
  }

  int CancelCommand() {
    Target::Kind kind = Target::Kind::kResumeToken;
    if (!args_.target.wait) AskOnce();
    auto poller = Open(&kind);
    if (!poller.ok()) return Fail(poller.status());
    // A bare monitor URL says nothing of its convention until it answers once; the answer
    // tells the library how to cancel (POST {monitor}:cancel for a status monitor).
    if (kind == Target::Kind::kMonitorUrl && !poller->IsDone()) {
      if (const Status polled = poller->Poll(interrupt_.token()); !polled.ok()) {
        return Stopped(polled) ? EndedEarly(*poller, polled) : Fail(polled);
      }
    }
    if (const Status cancelled = poller->Cancel(interrupt_.token()); !cancelled.ok()) {
      return Stopped(cancelled) ? EndedEarly(*poller, cancelled) : Fail(cancelled);
    }
    reporter_.Notice("cancel requested; the service ends the operation when it can");
    reporter_.Event("cancelRequested");
    if (args_.target.wait) return WaitFor(*poller);
    PrintState(*poller);
    return ToInt(ExitCode::kOk);
  }

  // --- shared ----------------------------------------------------------------------------

  // Waits for the end with the progress display, then reports it.
  int WaitFor(Poller& poller) {
    reporter_.BeginWait(poller.State());
    poller.OnProgress([this](const OperationState& state) { reporter_.OnState(state); });
    WaitOptions options;
    options.cancel = interrupt_.token();
    if (deadline_) {
      options.timeout = std::max(
          milliseconds(0),
          std::chrono::duration_cast<milliseconds>(*deadline_ - std::chrono::steady_clock::now()));
    }
    StatusOr<Result> outcome = poller.Wait(options);
    reporter_.EndWait(poller.State());
    return Conclude(poller, outcome);
  }

  // The end of start, wait, result: the result on stdout, or the error on stderr.
  int Conclude(const Poller& poller, const StatusOr<Result>& outcome) {
    if (outcome.ok()) {
      reporter_.Event("done", {{"state", StateToJson(poller.State())},
                               {"result", ResultSummaryToJson(*outcome)}});
      if (outcome->has_value) WriteStdout(outcome->body);
      return ToInt(ExitCode::kOk);
    }
    if (Stopped(outcome.status())) return EndedEarly(poller, outcome.status());
    return Fail(outcome.status());
  }

  // The wait ended locally (Ctrl-C or --timeout): the operation goes on; hand over its token.
  int EndedEarly(const Poller& poller, const Status& why) {
    const ExitCode exit = EarlyExitCode(why);
    const bool timeout = exit == ExitCode::kTimeout;
    auto token = poller.ResumeToken();
    std::string what = timeout ? "timed out; the operation goes on server-side"
                               : "interrupted; the operation goes on server-side";
    boost::json::object event;
    if (token.ok()) {
      WriteStdout(*token + "\n");
      what += "; " + ResumeHint();
      event["resumeToken"] = *token;
    }
    reporter_.Problem(what);
    reporter_.Event(timeout ? "timeout" : "interrupted", std::move(event));
    return ToInt(exit);
  }

  [[nodiscard]] static bool Stopped(const Status& status) {
    return status.code() == StatusCode::kCancelled || status.code() == StatusCode::kStopped ||
           status.code() == StatusCode::kDeadlineExceeded;
  }

  // Whether a local stop (`why`) was Ctrl-C or the deadline.
  [[nodiscard]] ExitCode EarlyExitCode(const Status& why) const {
    if (why.code() == StatusCode::kDeadlineExceeded) return ExitCode::kTimeout;
    if (interrupt_.interrupted()) return ExitCode::kInterrupted;
    if (deadline_ &&
        (interrupt_.deadline_passed() || std::chrono::steady_clock::now() >= *deadline_)) {
      return ExitCode::kTimeout;
    }
    return ExitCode::kInterrupted;
  }

  int Fail(const Status& status) {
    reporter_.Error(status);
    return ToInt(ExitCodeFor(status));
  }

  // status and cancel: the state on stdout, as text or JSON.
  void PrintState(const Poller& poller) {
    const OperationState state = poller.State();
    std::optional<StatusOr<Result>> outcome;
    if (poller.IsDone()) outcome = poller.Outcome();
    auto token = poller.ResumeToken();

    if (common_.json) {
      boost::json::object out = StateToJson(state);
      if (outcome) {
        out["outcome"] = outcome->ok() ? "SUCCEEDED" : StatusCodeName(outcome->status().code());
        if (outcome->ok()) {
          out["result"] = ResultSummaryToJson(**outcome);
        } else if (!state.error) {
          out["failure"] = ErrorToJson(outcome->status());
        }
      }
      if (token.ok()) out["resumeToken"] = *token;
      WriteStdout(boost::json::serialize(out) + "\n");
      return;
    }
    std::string text = "status: " + StatusText(state.status) + "\n";
    if (state.percent_complete) {
      text += "percentComplete: " + std::to_string(*state.percent_complete) + "\n";
    }
    if (state.created) text += "createdTimeUtc: " + FormatTimestamp(*state.created) + "\n";
    if (state.last_updated) {
      text += "lastUpdatedTimeUtc: " + FormatTimestamp(*state.last_updated) + "\n";
    }
    if (outcome && !outcome->ok()) {
      text += "error: " + DescribeError(outcome->status()) + "\n";
    } else if (state.error) {
      Status described(StatusCode::kOperationFailed, "");
      described.set_service_error(*state.error);
      text += "error: " + DescribeError(described) + "\n";
    }
    if (outcome && outcome->ok()) {
      const Result& result = **outcome;
      if (result.has_value) {
        text += "result: " + std::to_string(result.body.size()) + " bytes" +
                (result.content_type.empty() ? "" : ", " + result.content_type) +
                " (lro result prints it)\n";
      } else {
        text += "result: none\n";
      }
    }
    WriteStdout(text);
  }

  const Arguments& args_;
  const CommonOptions& common_;
  std::shared_ptr<ObservingClock> clock_;
  Reporter reporter_;
  Client client_;
  OperationOptions operation_options_;
  std::optional<MonotonicTime> deadline_;
  // Last member: its destructor stops the watcher thread before the rest goes away.
  InterruptWatcher interrupt_;
};

}  // namespace

int RunCommand(const Arguments& args) {
  Session session(args);
  return session.Run();
}

}  // namespace lro::cli
