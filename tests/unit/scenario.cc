#include "scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <utility>

#include "lro/json.h"
#include "lro/poller.h"

namespace lro::test {

HttpResponse Resp(int status, Headers headers, std::string body) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

HttpResponse Json(int status, std::string body, Headers headers) {
  headers.push_back({"Content-Type", "application/json"});
  return HttpResponse{status, std::move(headers), std::move(body)};
}

Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}

void PrintTo(const Req& req, std::ostream* os) { *os << req.method << " " << req.url; }

Req Get(std::string url) { return Req{"GET", std::move(url)}; }

std::vector<Req> Summarize(const std::vector<HttpRequest>& requests) {
  std::vector<Req> out;
  out.reserve(requests.size());
  for (const auto& r : requests) out.push_back({r.method, r.url});
  return out;
}

void PrintTo(const Scenario& scenario, std::ostream* os) { *os << scenario.name; }

PollingPolicy TestPolling() { return PollingPolicy::Fixed(1000ms); }

RetryPolicy TestRetry() {
  RetryPolicy retry;
  retry.max_attempts = 4;
  retry.initial = 100ms;
  retry.multiplier = 2.0;
  retry.max = 1000ms;
  retry.jitter = 0.0;
  return retry;
}

void Enqueue(lro::testing::ScriptedTransport& transport, const Script& script) {
  for (const auto& step : script) {
    if (const auto* response = std::get_if<HttpResponse>(&step)) {
      transport.Then(*response);
    } else {
      transport.ThenFail(std::get<Status>(step));
    }
  }
}

ClientOptions MakeOptions(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock) {
  ClientOptions options;
  options.transport = std::move(transport);
  options.clock = std::move(clock);
  options.random_seed = 1;
  options.polling = TestPolling();
  options.retry = TestRetry();
  return options;
}

namespace {
ClientOptions HarnessOptions(const std::shared_ptr<lro::testing::ScriptedTransport>& transport,
                             const std::shared_ptr<lro::testing::FakeClock>& clock,
                             std::optional<PollingPolicy> polling, std::optional<RetryPolicy> retry,
                             CredentialProvider credentials,
                             std::vector<std::string> allowed_hosts) {
  ClientOptions options = MakeOptions(transport, clock);
  if (polling) options.polling = *polling;
  if (retry) options.retry = *retry;
  options.credentials = std::move(credentials);
  options.allowed_credential_hosts = std::move(allowed_hosts);
  return options;
}

std::vector<milliseconds> NonZero(std::vector<milliseconds> sleeps) {
  std::erase(sleeps, milliseconds{0});
  return sleeps;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

Harness::Harness(const Script& script, std::optional<PollingPolicy> polling,
                 std::optional<RetryPolicy> retry, CredentialProvider credentials,
                 std::vector<std::string> allowed_hosts)
    : transport(std::make_shared<lro::testing::ScriptedTransport>()),
      clock(std::make_shared<lro::testing::FakeClock>()),
      options(HarnessOptions(transport, clock, polling, retry, std::move(credentials),
                             std::move(allowed_hosts))),
      client(options) {
  Enqueue(*transport, script);
}

std::vector<milliseconds> Harness::sleeps() const { return NonZero(clock->sleeps()); }

Request MakeRequest(const Scenario& scenario) {
  Request request(scenario.method, scenario.url);
  for (const auto& h : scenario.headers) request.Header(h.name, h.value);
  if (!scenario.body.empty()) request.Json(scenario.body);
  return request;
}

RunResult Run(const Scenario& scenario) {
  Harness h(scenario.script, scenario.polling, scenario.retry);
  RunResult run;
  Poller poller = h.client.Start(MakeRequest(scenario), scenario.options);
  poller.OnProgress([&run](const OperationState& s) { run.progress.push_back(s); });
  WaitOptions wait;
  wait.timeout = std::chrono::hours(100);  // fake time: only a guard against a runaway loop
  run.outcome = poller.Wait(wait);
  run.final_state = poller.State();
  run.requests = h.requests();
  run.sleeps = h.sleeps();
  run.unused_script = h.transport->remaining();
  return run;
}

void CheckOutcome(const Expect& expect, const StatusOr<Result>& outcome) {
  ASSERT_EQ(outcome.status().code(), expect.code)
      << "outcome: " << outcome.status().ToString()
      << (outcome.ok() ? " body=" + outcome->body : std::string());
  if (expect.message_has) {
    EXPECT_NE(outcome.status().message().find(*expect.message_has), std::string::npos)
        << "message \"" << outcome.status().message() << "\" lacks \"" << *expect.message_has
        << "\"";
  }
  if (outcome.ok()) {
    const Result& result = *outcome;
    if (expect.has_value) {
      EXPECT_EQ(result.has_value, *expect.has_value);
    }
    if (expect.http_status) {
      EXPECT_EQ(result.http_status, *expect.http_status);
    }
    if (expect.content_type) {
      EXPECT_EQ(result.content_type, *expect.content_type);
    }
    if (expect.bytes) {
      EXPECT_EQ(result.body, *expect.bytes);
    }
    if (expect.json) {
      EXPECT_TRUE(result.has_value);
      boost::system::error_code ec;
      boost::json::value actual = boost::json::parse(result.body, ec);
      ASSERT_FALSE(ec) << "result is not JSON: " << result.body;
      EXPECT_EQ(actual, boost::json::parse(*expect.json))
          << "result " << result.body << " != expected " << *expect.json;
    }
  } else {
    const Status status = outcome.status();
    if (expect.http_status) {
      EXPECT_EQ(status.http_status(), *expect.http_status);
    }
    if (expect.service_code || expect.service_message) {
      ASSERT_TRUE(status.service_error().has_value()) << status.ToString();
      if (expect.service_code) {
        EXPECT_EQ(status.service_error()->code, *expect.service_code);
      }
      if (expect.service_message) {
        EXPECT_EQ(status.service_error()->message, *expect.service_message);
      }
    }
  }
}

void CheckNoRegression(const std::vector<OperationState>& progress) {
  bool terminal = false;
  int percent = -1;
  for (std::size_t i = 0; i < progress.size(); ++i) {
    const OperationState& s = progress[i];
    EXPECT_FALSE(terminal && !s.status.terminal())
        << "state " << i << " went back from terminal to " << s.status.raw;
    terminal = terminal || s.status.terminal();
    if (s.percent_complete) {
      EXPECT_GE(*s.percent_complete, percent) << "percent went backwards at state " << i;
      percent = *s.percent_complete;
    }
  }
}

void RunAndCheck(const Scenario& scenario) {
  RunResult run = Run(scenario);
  EXPECT_EQ(Summarize(run.requests), scenario.requests);
  if (scenario.sleeps) {
    EXPECT_EQ(run.sleeps, *scenario.sleeps);
  }
  EXPECT_EQ(run.unused_script, 0U) << "the client stopped before the script's end";
  CheckNoRegression(run.progress);
  CheckOutcome(scenario.expect, run.outcome);
}

std::optional<std::string> HeaderOf(const HttpRequest& request, std::string_view name) {
  const std::string wanted = Lower(name);
  for (const auto& h : request.headers) {
    if (Lower(h.name) == wanted) return h.value;
  }
  return std::nullopt;
}

bool HasHeader(const HttpRequest& request, std::string_view name) {
  return HeaderOf(request, name).has_value();
}

}  // namespace lro::test
