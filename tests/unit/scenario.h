// Table-driven scenarios for the unit tests: one row = an initial request, the server's
// scripted answers, options, and what the client must have sent and returned. Every row runs
// on a ScriptedTransport and a FakeClock, so nothing sleeps and nothing touches the network.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "lro/client.h"
#include "lro/http.h"
#include "lro/operation_state.h"
#include "lro/options.h"
#include "lro/result.h"
#include "lro/status.h"
#include "lro/testing/fake_clock.h"
#include "lro/testing/scripted_transport.h"

namespace lro::test {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

inline constexpr char kSvc[] = "https://svc.example.com";
inline constexpr char kFabric[] = "https://api.fabric.example.com";

// One scripted answer: a response, or a transport failure.
using Step = std::variant<HttpResponse, Status>;
using Script = std::vector<Step>;

// A response with the given headers and body.
HttpResponse Resp(int status, Headers headers = {}, std::string body = {});
// A JSON response: adds Content-Type: application/json.
HttpResponse Json(int status, std::string body, Headers headers = {});
// A transport failure (connection reset, timeout, …).
Status Unavailable(std::string message = "connection reset by peer");

// method + URL of a request, the part most assertions care about.
struct Req {
  std::string method;
  std::string url;
  friend bool operator==(const Req&, const Req&) = default;
};
void PrintTo(const Req& req, std::ostream* os);
Req Get(std::string url);
std::vector<Req> Summarize(const std::vector<HttpRequest>& requests);

// What the final outcome must look like. Unset optionals are not checked.
struct Expect {
  StatusCode code = StatusCode::kOk;
  std::optional<bool> has_value;
  std::optional<std::string> json;   // result body, compared as JSON values
  std::optional<std::string> bytes;  // result body, compared byte for byte
  std::optional<std::string> content_type;
  std::optional<int> http_status;  // of the result, or of the error
  std::optional<std::string> service_code;
  std::optional<std::string> service_message;
  std::optional<std::string> message_has;  // substring of Status::message()
};

struct Scenario {
  std::string name;
  std::string method = "GET";
  std::string url;
  std::string body;
  Headers headers;
  Script script;
  OperationOptions options;
  std::vector<Req> requests;
  Expect expect;
  // Delays slept, in order, zero-length sleeps left out; unchecked when unset.
  std::optional<std::vector<milliseconds>> sleeps;
  // Client policies; the defaults below when unset.
  std::optional<PollingPolicy> polling;
  std::optional<RetryPolicy> retry;
};
void PrintTo(const Scenario& scenario, std::ostream* os);

// The client policies rows run with unless they say otherwise: a fixed 1 s poll interval and
// retries after 100, 200, 400, … ms, all without jitter.
PollingPolicy TestPolling();
RetryPolicy TestRetry();

// A client on a fresh ScriptedTransport and FakeClock.
struct Harness {
  explicit Harness(const Script& script, std::optional<PollingPolicy> polling = std::nullopt,
                   std::optional<RetryPolicy> retry = std::nullopt,
                   CredentialProvider credentials = nullptr,
                   std::vector<std::string> allowed_hosts = {});
  std::shared_ptr<lro::testing::ScriptedTransport> transport;
  std::shared_ptr<lro::testing::FakeClock> clock;
  ClientOptions options;
  Client client;

  std::vector<HttpRequest> requests() const { return transport->requests(); }
  std::vector<milliseconds> sleeps() const;  // zero-length sleeps left out
};
void Enqueue(lro::testing::ScriptedTransport& transport, const Script& script);
ClientOptions MakeOptions(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock);

Request MakeRequest(const Scenario& scenario);

struct RunResult {
  std::vector<HttpRequest> requests;
  std::vector<milliseconds> sleeps;
  StatusOr<Result> outcome = Status(StatusCode::kInternal, "not run");
  std::vector<OperationState> progress;
  OperationState final_state;
  std::size_t unused_script = 0;
};
RunResult Run(const Scenario& scenario);
// Runs the row and checks everything it specifies, plus: the whole script was consumed and
// the reported states never went backwards.
void RunAndCheck(const Scenario& scenario);
void CheckOutcome(const Expect& expect, const StatusOr<Result>& outcome);
void CheckNoRegression(const std::vector<OperationState>& progress);

// Header helpers over a sent request.
std::optional<std::string> HeaderOf(const HttpRequest& request, std::string_view name);
bool HasHeader(const HttpRequest& request, std::string_view name);

// Generates readable test names from Scenario::name.
struct ScenarioName {
  template <typename Info>
  std::string operator()(const Info& info) const {
    return info.param.name;
  }
};

}  // namespace lro::test
