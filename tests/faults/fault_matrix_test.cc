// The client fault matrix (issue 10): every polling convention of SPEC.md × every step of an
// operation (the initial request, a running poll, the terminal poll, the final GET, the cancel)
// × every fault a server or network can throw at it, on both faces of the client (the blocking
// Poller and the engine). Each case checks: the operation ends with the right result, or with an
// error naming the cause; the state never goes backwards; the number of requests stays bounded
// (no busy loop, no endless retry); credentials never reach another origin.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_server.h"
#include "lro/client.h"
#include "lro/engine.h"
#include "lro/poller.h"
#include "test_util.h"

namespace lro::test {
namespace {

using namespace std::chrono_literals;

enum class Mode { kFabric, kOperationLocation, kAzureAsyncOperation, kLocation, kBody, kGoogle };
enum class Step { kInitial, kPoll, kTerminal, kFinal, kCancel };
enum class Face { kBlocking, kEngine };

// What a fault does to the answer of its step.
enum class Fault {
  kReset,
  kStall,
  kTruncatedBody,
  kSlowBody,
  kHttpStatus,        // answers FaultCase::http_status (with its Retry-After, if any) once
  kHttpStatusAlways,  // the same on every attempt: beyond the retry budget
  kInvalidJson,
  kDroppedHeaders,  // the links, the operation id and Retry-After are gone
  kGarbledHeaders,  // the links are not URLs, Retry-After is not a delay
  kMalformedHeaderLines,
  kLinksToOtherHost,  // the links move to another origin
  kLinksToHttp,       // the operation started over https; the links move to plain http
};

struct FaultCase {
  Fault fault;
  const char* name;
  int http_status = 0;
  const char* retry_after = nullptr;
};

constexpr const char* kPastDate = "Wed, 21 Oct 2015 07:28:00 GMT";
constexpr std::array kFaults{
    FaultCase{Fault::kReset, "reset"},
    FaultCase{Fault::kStall, "stall"},
    FaultCase{Fault::kTruncatedBody, "truncated_body"},
    FaultCase{Fault::kSlowBody, "slow_body"},
    FaultCase{Fault::kHttpStatus, "http408", 408},
    FaultCase{Fault::kHttpStatus, "http408_retry_after_0", 408, "0"},
    FaultCase{Fault::kHttpStatus, "http429", 429},
    FaultCase{Fault::kHttpStatus, "http429_retry_after_0", 429, "0"},
    FaultCase{Fault::kHttpStatus, "http500", 500},
    FaultCase{Fault::kHttpStatus, "http500_retry_after_0", 500, "0"},
    FaultCase{Fault::kHttpStatus, "http502", 502},
    FaultCase{Fault::kHttpStatus, "http502_retry_after_0", 502, "0"},
    FaultCase{Fault::kHttpStatus, "http503", 503},
    FaultCase{Fault::kHttpStatus, "http503_retry_after_0", 503, "0"},
    FaultCase{Fault::kHttpStatus, "http504", 504},
    FaultCase{Fault::kHttpStatus, "http504_retry_after_0", 504, "0"},
    FaultCase{Fault::kHttpStatus, "http503_retry_after_past_date", 503, kPastDate},
    FaultCase{Fault::kHttpStatusAlways, "http503_every_time", 503},
    FaultCase{Fault::kInvalidJson, "invalid_json"},
    FaultCase{Fault::kDroppedHeaders, "dropped_headers"},
    FaultCase{Fault::kGarbledHeaders, "garbled_headers"},
    FaultCase{Fault::kMalformedHeaderLines, "malformed_header_lines"},
    FaultCase{Fault::kLinksToOtherHost, "links_to_other_host"},
    FaultCase{Fault::kLinksToHttp, "links_to_http"},
};

constexpr std::array kModes{Mode::kFabric,
                            Mode::kOperationLocation,
                            Mode::kAzureAsyncOperation,
                            Mode::kLocation,
                            Mode::kBody,
                            Mode::kGoogle};
constexpr std::array kSteps{Step::kInitial, Step::kPoll, Step::kTerminal, Step::kFinal,
                            Step::kCancel};

// Names in test names, indexed by the enums.
constexpr std::array kModeNames{
    "fabric", "operation_location", "azure_async_operation", "location", "body", "google"};
constexpr std::array kStepNames{"initial", "poll", "terminal_poll", "final_get", "cancel"};
const char* ModeName(Mode mode) { return kModeNames.at(static_cast<std::size_t>(mode)); }
const char* StepName(Step step) { return kStepNames.at(static_cast<std::size_t>(step)); }

bool HasStep(Mode mode, Step step) {
  const bool monitor = mode == Mode::kFabric || mode == Mode::kOperationLocation ||
                       mode == Mode::kAzureAsyncOperation;
  if (step == Step::kFinal) return monitor;  // the others carry the result in the last poll
  if (step == Step::kCancel) return monitor || mode == Mode::kGoogle;  // ARM has no cancel
  return true;
}

// Faults the client retries: the step is answered properly on the next attempt.
bool IsTransient(Fault fault) {
  return fault == Fault::kReset || fault == Fault::kStall || fault == Fault::kTruncatedBody ||
         fault == Fault::kHttpStatus;
}

constexpr const char* kGarbledJson = R"({"status": "Running", "percentComplete": 5)";
constexpr const char* kNotAUrl = "http://[not a url";
constexpr const char* kSecret = "Bearer fault-matrix-secret";
constexpr const char* kCallerKey = "caller-api-key";
constexpr const char* kAffinityCookie = "affinity=origin-replica";

// ---- The service: one operation in the chosen convention, as two servers see it. ----------

// Plays one operation: the start, polls (Running at 50 %, then the end), the final GET and the
// cancel. Links are built on the base the caller passes (the server's own, or another origin's
// when a fault moves them). Thread-safe.
class Service {
 public:
  Service(Mode mode, bool cancel_flow) : mode_(mode), cancel_flow_(cancel_flow) {}

  // Which step `request` is; nullopt for a request the operation never makes.
  std::optional<Step> Classify(const HttpRequest& request) const {
    const std::string path = PathOf(request.url);
    if (request.method == "POST" && path.ends_with(":cancel")) return Step::kCancel;
    if (request.method == StartMethod() && path == StartPath()) return Step::kInitial;
    if (request.method != "GET") return std::nullopt;
    if (path == MonitorPath()) {
      std::lock_guard lock(mutex_);
      return cancel_flow_ || polls_ == 0 ? Step::kPoll : Step::kTerminal;
    }
    if (HasStep(mode_, Step::kFinal) && path == FinalPath()) return Step::kFinal;
    return std::nullopt;
  }

  // The well-behaved answer to a request of `step`; advances the operation.
  HttpResponse Answer(Step step, const std::string& base) {
    std::lock_guard lock(mutex_);
    switch (step) {
      case Step::kInitial:
        return Initial(base);
      case Step::kPoll:
      case Step::kTerminal: {
        const bool done = cancel_flow_ ? canceled_ : polls_ >= 1;
        ++polls_;
        if (!done) return Running(base);
        return cancel_flow_ ? Canceled(base) : Succeeded(base);
      }
      case Step::kFinal:
        return JsonResponse(200, ResultBody());
      case Step::kCancel:
        canceled_ = true;
        return CancelAnswer();
    }
    return HttpResponse{500, {}, ""};
  }

  std::string StartMethod() const {
    return mode_ == Mode::kOperationLocation || mode_ == Mode::kBody ? "PUT" : "POST";
  }
  std::string StartPath() const {
    switch (mode_) {
      case Mode::kFabric:
        return "/v1/workspaces/ws/items";
      case Mode::kOperationLocation:
        return "/things/ol";
      case Mode::kAzureAsyncOperation:
        return "/actions/aao";
      case Mode::kLocation:
        return "/exports/loc";
      case Mode::kBody:
        return "/resources/body";
      case Mode::kGoogle:
        return "/v1/projects/p/things:create";
    }
    return "/";
  }
  std::string StartQuery() const {
    return mode_ == Mode::kOperationLocation ? "?api-version=2024-01-01" : "";
  }
  std::string MonitorPath() const {
    switch (mode_) {
      case Mode::kFabric:
        return "/v1/operations/op1";
      case Mode::kOperationLocation:
        return "/ops/ol";
      case Mode::kAzureAsyncOperation:
        return "/ops/aao";
      case Mode::kLocation:
        return "/locs/loc";
      case Mode::kBody:
        return "/resources/body";
      case Mode::kGoogle:
        return "/v1/operations/g1";
    }
    return "/";
  }
  std::string FinalPath() const {
    switch (mode_) {
      case Mode::kFabric:
        return "/v1/operations/op1/result";
      case Mode::kOperationLocation:
        return "/things/ol";
      case Mode::kAzureAsyncOperation:
        return "/results/aao";
      default:
        return "";
    }
  }
  // The result the client should hand back, byte for byte.
  std::string ResultBody() const {
    switch (mode_) {
      case Mode::kFabric:
        return R"({"id":"nb-1","displayName":"Fault notebook"})";
      case Mode::kOperationLocation:
        return R"({"name":"ol-thing","size":3})";
      case Mode::kAzureAsyncOperation:
        return R"({"report":"aao-done"})";
      case Mode::kLocation:
        return R"({"export":"loc-done"})";
      case Mode::kBody:
        return R"({"name":"body-resource","properties":{"provisioningState":"Succeeded"}})";
      case Mode::kGoogle:
        return R"({"@type":"type.googleapis.com/lro.test.Thing","name":"g-thing"})";
    }
    return "";
  }

 private:
  // While the cancel flow runs, the service asks for an hour between polls: only the cancel
  // (which makes the client look again soon) brings the end.
  std::string RetryAfter() const { return cancel_flow_ ? "3600" : "0"; }

  HttpResponse Initial(const std::string& base) const {
    const Header cookie{"Set-Cookie", std::string(kAffinityCookie) + "; Path=/"};
    switch (mode_) {
      case Mode::kFabric:
        return HttpResponse{202,
                            {{"Location", base + MonitorPath()},
                             {"x-ms-operation-id", "op1"},
                             {"Retry-After", "0"},
                             cookie},
                            ""};
      case Mode::kOperationLocation:
        return HttpResponse{
            202, {{"Operation-Location", base + MonitorPath()}, {"Retry-After", "0"}, cookie}, ""};
      case Mode::kAzureAsyncOperation:
        return HttpResponse{202,
                            {{"Azure-AsyncOperation", base + MonitorPath()},
                             {"Location", base + FinalPath()},
                             {"Retry-After", "0"},
                             cookie},
                            ""};
      case Mode::kLocation:
        return HttpResponse{
            202, {{"Location", base + MonitorPath()}, {"Retry-After", "0"}, cookie}, ""};
      case Mode::kBody:
        return JsonResponse(
            201, R"({"name":"body-resource","properties":{"provisioningState":"Creating"}})",
            {{"Retry-After", "0"}, cookie});
      case Mode::kGoogle:
        return JsonResponse(
            200, R"({"name":"operations/g1","done":false,"metadata":{"progressPercent":0}})",
            {cookie});
    }
    return HttpResponse{500, {}, ""};
  }

  HttpResponse Running(const std::string& base) const {
    const Header retry_after{"Retry-After", RetryAfter()};
    switch (mode_) {
      case Mode::kFabric:
        return JsonResponse(
            200,
            R"({"status":"Running","percentComplete":50,)"
            R"("createdTimeUtc":"2026-01-01T00:00:00Z",)"
            R"("lastUpdatedTimeUtc":"2026-01-01T00:00:01Z"})",
            {{"Location", base + MonitorPath()}, {"x-ms-operation-id", "op1"}, retry_after});
      case Mode::kOperationLocation:
        return JsonResponse(200, R"({"id":"ol","status":"Running","percentComplete":50})",
                            {{"Operation-Location", base + MonitorPath()}, retry_after});
      case Mode::kAzureAsyncOperation:
        return JsonResponse(200, R"({"id":"aao","status":"Running","percentComplete":50})",
                            {{"Azure-AsyncOperation", base + MonitorPath()},
                             {"Location", base + FinalPath()},
                             retry_after});
      case Mode::kLocation:
        return HttpResponse{202, {{"Location", base + MonitorPath()}, retry_after}, ""};
      case Mode::kBody:
        return JsonResponse(
            200, R"({"name":"body-resource","properties":{"provisioningState":"Updating"}})",
            {retry_after});
      case Mode::kGoogle:
        return JsonResponse(
            200, R"({"name":"operations/g1","done":false,"metadata":{"progressPercent":50}})",
            {retry_after});
    }
    return HttpResponse{500, {}, ""};
  }

  HttpResponse Succeeded(const std::string& base) const {
    switch (mode_) {
      case Mode::kFabric:
        return JsonResponse(200,
                            R"({"status":"Succeeded","percentComplete":100,)"
                            R"("createdTimeUtc":"2026-01-01T00:00:00Z",)"
                            R"("lastUpdatedTimeUtc":"2026-01-01T00:00:02Z"})",
                            {{"Location", base + FinalPath()}, {"x-ms-operation-id", "op1"}});
      case Mode::kOperationLocation:
        return JsonResponse(200, R"({"id":"ol","status":"Succeeded","percentComplete":100})");
      case Mode::kAzureAsyncOperation:
        return JsonResponse(200, R"({"id":"aao","status":"Succeeded","percentComplete":100})");
      case Mode::kLocation:
      case Mode::kBody:
        return JsonResponse(200, ResultBody());
      case Mode::kGoogle:
        return JsonResponse(
            200, R"({"name":"operations/g1","done":true,"response":)" + ResultBody() + "}");
    }
    return HttpResponse{500, {}, ""};
  }

  HttpResponse Canceled(const std::string& /*base*/) const {
    switch (mode_) {
      case Mode::kFabric:
        return JsonResponse(200, R"({"status":"Failed","percentComplete":50,"error":)"
                                 R"({"errorCode":"OperationCanceled","message":"canceled"}})");
      case Mode::kOperationLocation:
        return JsonResponse(200, R"({"id":"ol","status":"Canceled"})");
      case Mode::kAzureAsyncOperation:
        return JsonResponse(200, R"({"id":"aao","status":"Canceled"})");
      case Mode::kGoogle:
        return JsonResponse(200, R"({"name":"operations/g1","done":true,)"
                                 R"("error":{"code":1,"message":"canceled"}})");
      default:
        return HttpResponse{500, {}, ""};
    }
  }

  HttpResponse CancelAnswer() const {
    switch (mode_) {
      case Mode::kFabric:
        return HttpResponse{202, {}, ""};
      case Mode::kOperationLocation:
        return JsonResponse(200, R"({"id":"ol","status":"Canceling","percentComplete":50})");
      case Mode::kAzureAsyncOperation:
        return JsonResponse(200, R"({"id":"aao","status":"Canceling","percentComplete":50})");
      default:
        return JsonResponse(200, "{}");
    }
  }

  const Mode mode_;
  const bool cancel_flow_;
  mutable std::mutex mutex_;
  int polls_ = 0;
  bool canceled_ = false;
};

// ---- What each case should end in. ---------------------------------------------------------

enum class Ending {
  kResult,         // succeeded with the service's result
  kNoResult,       // succeeded without a result (the fault erased where it was)
  kGarbledResult,  // succeeded with the bytes the faulty final GET sent
  kError,          // failed with `code`, its message naming the cause
  kCanceled,       // the cancel went through (maybe after the caller asked again)
  kCancelRefused,  // every cancel failed, naming the cause; the operation goes on
};

struct Expected {
  Ending ending = Ending::kResult;
  StatusCode code = StatusCode::kOk;
  std::string mentions;  // in the error's message
};

Expected Expect(Mode mode, Step step, Fault fault) {
  const bool links_in_headers = mode != Mode::kBody && mode != Mode::kGoogle;
  if (step == Step::kCancel) {
    if (fault == Fault::kHttpStatusAlways) return {Ending::kCancelRefused, {}, "HTTP 503"};
    return {Ending::kCanceled, {}, {}};
  }
  if (IsTransient(fault) || fault == Fault::kSlowBody || fault == Fault::kLinksToOtherHost ||
      fault == Fault::kLinksToHttp) {
    return {};
  }
  if (fault == Fault::kHttpStatusAlways) {
    return {Ending::kError, StatusCode::kUnavailable, "HTTP 503"};
  }
  // libcurl refuses a header line without a colon ("Weird server reply"): not retried, since
  // the same server would answer the same.
  if (fault == Fault::kMalformedHeaderLines) {
    return {Ending::kError, StatusCode::kProtocolError, "malformed response"};
  }
  Expected protocol_error{Ending::kError, StatusCode::kProtocolError, "JSON"};
  switch (fault) {
    case Fault::kInvalidJson:
      if (step == Step::kFinal) return {Ending::kGarbledResult, {}, {}};
      if (step == Step::kInitial) return links_in_headers ? Expected{} : protocol_error;
      // A running ARM Location poll is a bodiless 202: its body is never read.
      if (mode == Mode::kLocation && step == Step::kPoll) return {};
      return protocol_error;
    case Fault::kDroppedHeaders:
      if (step == Step::kInitial && links_in_headers) {
        return {Ending::kError, StatusCode::kProtocolError, "without a way to poll"};
      }
      // Fabric's terminal state without Location means "no result" (SPEC §2).
      if (step == Step::kTerminal && mode == Mode::kFabric) return {Ending::kNoResult, {}, {}};
      return {};
    case Fault::kGarbledHeaders:
      // The error names the header that is not a URL.
      if (step == Step::kInitial && mode == Mode::kOperationLocation) {
        return {Ending::kError, StatusCode::kProtocolError, "Operation-Location header"};
      }
      if (step == Step::kInitial && mode == Mode::kAzureAsyncOperation) {
        return {Ending::kError, StatusCode::kProtocolError, "Azure-AsyncOperation header"};
      }
      if (step == Step::kInitial && mode == Mode::kLocation) {
        return {Ending::kError, StatusCode::kProtocolError, "Location header"};
      }
      if (step == Step::kTerminal && mode == Mode::kFabric) {
        return {Ending::kError, StatusCode::kProtocolError, "Location header"};
      }
      return {};
    default:
      return {};
  }
}

// ---- One case. -------------------------------------------------------------------------------

struct Case {
  Face face;
  Mode mode;
  Step step;
  FaultCase fault;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return std::string(ModeName(info.param.mode)) + "_" + StepName(info.param.step) + "_" +
         info.param.fault.name;
}

std::vector<Case> AllCases(Face face) {
  std::vector<Case> cases;
  for (Mode mode : kModes) {
    for (Step step : kSteps) {
      if (!HasStep(mode, step)) continue;
      for (const FaultCase& fault : kFaults) cases.push_back({face, mode, step, fault});
    }
  }
  return cases;
}

// Sends requests to https://127.0.0.1:PORT as plain http to the same port, as a TLS terminator
// in front of the server would: the client believes its operation started over https.
class TlsTerminator final : public HttpTransport {
 public:
  TlsTerminator(std::string https_origin, std::string http_origin,
                std::shared_ptr<HttpTransport> inner)
      : https_origin_(std::move(https_origin)),
        http_origin_(std::move(http_origin)),
        inner_(std::move(inner)) {}
  StatusOr<HttpResponse> Send(const HttpRequest& request,
                              const CancellationToken& cancel) override {
    HttpRequest plain = request;
    if (plain.url.starts_with(https_origin_)) {
      plain.url = http_origin_ + plain.url.substr(https_origin_.size());
    }
    return inner_->Send(plain, cancel);
  }

 private:
  std::string https_origin_;
  std::string http_origin_;
  std::shared_ptr<HttpTransport> inner_;
};

// The states a client reported, in order.
class StateLog {
 public:
  void Record(const OperationState& state) {
    std::lock_guard lock(mutex_);
    states_.push_back(state);
  }
  std::vector<OperationState> states() const {
    std::lock_guard lock(mutex_);
    return states_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<OperationState> states_;
};

// 0 before any status, 1 running, 2 terminal.
int Rank(const OperationState& state) {
  if (state.status.terminal()) return 2;
  return state.status.raw.empty() ? 0 : 1;
}

// The whole matrix, tallied for docs/reliability.md.
struct Tally {
  std::mutex mutex;
  int cases = 0;
  std::size_t max_requests = 0;
  Tally() = default;
  Tally(const Tally&) = delete;
  Tally& operator=(const Tally&) = delete;
  Tally(Tally&&) = delete;
  Tally& operator=(Tally&&) = delete;
  ~Tally() {
    if (cases > 0) {
      std::printf("fault matrix: %d cases run, at most %zu requests in one case\n", cases,
                  max_requests);
    }
  }
};
Tally& TheTally() {
  static Tally tally;
  return tally;
}

// At most this many requests in one case: the operation's own (start, two polls, final GET,
// cancel and the poll that sees it) plus the retry budget. More means a retry loop.
constexpr std::size_t kMaxRequests = 10;

class FaultMatrix : public ::testing::TestWithParam<Case> {
 protected:
  FaultMatrix()
      : service_(GetParam().mode, GetParam().step == Step::kCancel),
        origin_([this](const HttpRequest& r) { return Handle(r, false); }),
        other_([this](const HttpRequest& r) { return Handle(r, true); }) {}

  // The base URL the client uses for the origin: https (behind the TLS terminator) in the
  // downgrade case.
  std::string OriginBase() const {
    return GetParam().fault.fault == Fault::kLinksToHttp
               ? "https://127.0.0.1:" + std::to_string(origin_.port())
               : origin_.base_url();
  }
  // Another origin: another host name and port.
  std::string OtherBase() const { return "http://localhost:" + std::to_string(other_.port()); }

  FaultReply Handle(const HttpRequest& request, bool at_other) {
    const Case c = GetParam();
    const std::optional<Step> step = service_.Classify(request);
    if (!step) return {JsonResponse(404, R"({"error":{"code":"NotFound","message":"no"}})")};
    const std::string own_base = at_other ? OtherBase() : OriginBase();
    const bool hit =
        *step == c.step && (c.fault.fault == Fault::kHttpStatusAlways || !fired_.exchange(true));
    if (!hit) return {service_.Answer(*step, own_base)};

    // Faults that replace the answer: the service never sees the request.
    if (c.fault.http_status != 0) {
      Headers headers;
      if (c.fault.retry_after != nullptr) headers.push_back({"Retry-After", c.fault.retry_after});
      return {JsonResponse(c.fault.http_status,
                           R"({"error":{"code":"Busy","message":"try again"}})",
                           std::move(headers))};
    }
    if (c.fault.fault == Fault::kReset) return {HttpResponse{}, Delivery::kReset};
    if (c.fault.fault == Fault::kStall) return {HttpResponse{}, Delivery::kStall};

    // Faults that spoil an answer the service gave (its state moved on).
    const bool moves_links =
        c.fault.fault == Fault::kLinksToOtherHost || c.fault.fault == Fault::kLinksToHttp;
    FaultReply reply{service_.Answer(*step, moves_links ? OtherBase() : own_base)};
    Headers& headers = reply.response.headers;
    // (The service spells every header one way: exact comparisons suffice.)
    auto is_link = [](const Header& h) {
      for (const char* name : {"Location", "Operation-Location", "Azure-AsyncOperation"}) {
        if (h.name == name) return true;
      }
      return false;
    };
    switch (c.fault.fault) {
      case Fault::kTruncatedBody:
        reply.delivery = Delivery::kTruncated;
        break;
      case Fault::kSlowBody:
        reply.delivery = Delivery::kSlow;
        break;
      case Fault::kInvalidJson:
        reply.response.body = kGarbledJson;
        std::erase_if(headers, [](const Header& h) { return h.name == "Content-Type"; });
        headers.push_back({"Content-Type", "application/json"});
        break;
      case Fault::kDroppedHeaders:
        std::erase_if(headers, [&](const Header& h) {
          return is_link(h) || h.name == "x-ms-operation-id" || h.name == "Retry-After";
        });
        break;
      case Fault::kGarbledHeaders:
        for (Header& h : headers) {
          if (is_link(h)) h.value = kNotAUrl;
          if (h.name == "Retry-After") h.value = "soon";
        }
        break;
      case Fault::kMalformedHeaderLines:
        reply.raw_header_lines = {"This line has no colon", "X-Binary: \x01\x7f\xfe",
                                  ": empty name"};
        break;
      default:
        break;
    }
    return reply;
  }

  ClientOptions Options() const {
    ClientOptions options = FastClientOptions();
    options.retry.max_attempts = 4;
    // A stalled answer ends at this timeout (transient: retried). Short, so the matrix is quick.
    options.curl.request_timeout = 300ms;
    options.credentials = [] { return StatusOr<Headers>(Headers{{"Authorization", kSecret}}); };
    if (GetParam().fault.fault == Fault::kLinksToHttp) {
      options.transport = std::make_shared<TlsTerminator>(OriginBase(), origin_.base_url(),
                                                          MakeCurlTransport(options.curl));
      // The other host is even allowed credentials: only the step down to http may keep them.
      options.allowed_credential_hosts = {"localhost"};
    }
    return options;
  }

  Request StartRequest() const {
    Request request(service_.StartMethod(),
                    OriginBase() + service_.StartPath() + service_.StartQuery());
    request.Header("api-key", kCallerKey).Header("x-ms-client-request-id", "fault-matrix");
    if (request.http().method != "GET") request.Json(R"({"name":"x"})");
    return request;
  }

  Service service_;
  std::atomic<bool> fired_{false};
  FaultServer origin_;
  FaultServer other_;
  StateLog log_;
};

// Runs the operation on the blocking face; returns its outcome. The cancel flow calls Cancel
// after the first poll, asking again while the cancel request itself fails.
StatusOr<Result> RunBlocking(Client& client, const Request& request, bool cancel_flow,
                             StateLog& log, std::vector<Status>& cancel_errors) {
  Poller poller = client.Start(request);
  log.Record(poller.State());
  poller.OnProgress([&log](const OperationState& state) { log.Record(state); });
  WaitOptions guard;
  guard.timeout = 30s;
  if (!cancel_flow) return poller.Wait(guard);
  if (poller.IsDone()) return poller.Outcome();
  if (Status polled = poller.Poll(); !polled.ok()) return polled;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Status cancelled = poller.Cancel();
    if (cancelled.ok()) return poller.Wait(guard);
    cancel_errors.push_back(cancelled);
  }
  EXPECT_FALSE(poller.IsDone()) << "a refused cancel ends nothing";
  poller.Stop();
  return poller.Wait(guard);
}

StatusOr<Result> RunEngine(Client& client, const Request& request, bool cancel_flow, StateLog& log,
                           std::vector<Status>& cancel_errors,
                           const std::function<int()>& polls_seen) {
  AsyncOperation operation =
      client.StartAsync(request, {}, {}, [&log](const OperationState& s) { log.Record(s); });
  if (!cancel_flow) return Await(operation.Future());
  // Cancel once the first poll was answered (it asked for an hour until the next).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (polls_seen() < 1 && !operation.IsDone() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  for (int attempt = 0; attempt < 4 && !operation.IsDone(); ++attempt) {
    std::promise<Status> answered;
    operation.Cancel([&answered](Status status) { answered.set_value(std::move(status)); });
    Status cancelled = Await(answered.get_future());
    if (cancelled.ok()) return Await(operation.Future());
    cancel_errors.push_back(cancelled);
  }
  EXPECT_FALSE(operation.IsDone()) << "a refused cancel ends nothing";
  operation.Stop();
  return Await(operation.Future());
}

TEST_P(FaultMatrix, EndsRightOrNamesTheCause) {
  const Case c = GetParam();
  const Expected expected = Expect(c.mode, c.step, c.fault.fault);
  const bool cancel_flow = c.step == Step::kCancel;
  std::vector<Status> cancel_errors;
  StatusOr<Result> outcome = Status(StatusCode::kInternal, "not run");
  {
    Client client(Options());
    if (c.face == Face::kBlocking) {
      outcome = RunBlocking(client, StartRequest(), cancel_flow, log_, cancel_errors);
    } else {
      auto polls_seen = [this] {
        int polls = 0;
        for (const auto& r : origin_.requests()) polls += r.method == "GET" ? 1 : 0;
        for (const auto& r : other_.requests()) polls += r.method == "GET" ? 1 : 0;
        return polls;
      };
      outcome = RunEngine(client, StartRequest(), cancel_flow, log_, cancel_errors, polls_seen);
    }
  }

  // The ending.
  const std::string described = outcome.ok() ? "a result" : outcome.status().ToString();
  if (std::getenv("LRO_FAULTS_VERBOSE") != nullptr) {
    std::printf("outcome: %s\n", described.c_str());
    for (const Status& error : cancel_errors) {
      std::printf("cancel refused: %s\n", error.ToString().c_str());
    }
  }
  switch (expected.ending) {
    case Ending::kResult:
      ASSERT_TRUE(outcome.ok()) << described;
      EXPECT_TRUE(outcome->has_value);
      EXPECT_EQ(outcome->body, service_.ResultBody());
      break;
    case Ending::kNoResult:
      ASSERT_TRUE(outcome.ok()) << described;
      EXPECT_FALSE(outcome->has_value);
      break;
    case Ending::kGarbledResult:
      ASSERT_TRUE(outcome.ok()) << described;
      EXPECT_EQ(outcome->body, kGarbledJson);
      break;
    case Ending::kError:
      ASSERT_FALSE(outcome.ok());
      EXPECT_EQ(outcome.status().code(), expected.code) << described;
      EXPECT_NE(outcome.status().message().find(expected.mentions), std::string::npos)
          << "the error should name the cause (" << expected.mentions << "): " << described;
      break;
    case Ending::kCanceled:
      EXPECT_EQ(outcome.status().code(), StatusCode::kOperationCanceled) << described;
      break;
    case Ending::kCancelRefused:
      EXPECT_EQ(outcome.status().code(), StatusCode::kStopped) << described;
      ASSERT_FALSE(cancel_errors.empty());
      for (const Status& error : cancel_errors) {
        EXPECT_NE(error.message().find(expected.mentions), std::string::npos) << error.ToString();
      }
      break;
  }

  // The state never went backwards, and nothing followed a terminal state.
  const std::vector<OperationState> states = log_.states();
  for (std::size_t i = 1; i < states.size(); ++i) {
    EXPECT_GE(Rank(states[i]), Rank(states[i - 1]))
        << "state " << i << " '" << states[i].status.raw << "' after '" << states[i - 1].status.raw
        << "'";
    if (states[i - 1].status.terminal()) {
      EXPECT_EQ(states[i].status, states[i - 1].status) << "another state after the terminal one";
    }
    if (states[i].percent_complete && states[i - 1].percent_complete) {
      EXPECT_GE(*states[i].percent_complete, *states[i - 1].percent_complete);
    }
  }

  // Bounded requests: no busy loop, no retry beyond the budget.
  const std::vector<HttpRequest> at_origin = origin_.requests();
  const std::vector<HttpRequest> at_other = other_.requests();
  const std::size_t requests = at_origin.size() + at_other.size();
  EXPECT_LE(requests, kMaxRequests);
  {
    std::lock_guard lock(TheTally().mutex);
    ++TheTally().cases;
    TheTally().max_requests = std::max(TheTally().max_requests, requests);
  }

  // A retried POST start carries the same idempotency key every time (SPEC §6), so that a
  // service which ran the first attempt replays it instead of starting a second operation.
  if (service_.StartMethod() == "POST") {
    std::vector<std::string> keys;
    for (const HttpRequest& request : at_origin) {
      if (request.method != "POST" || PathOf(request.url) != service_.StartPath()) continue;
      keys.push_back(HeaderOf(request, "Repeatability-Request-ID") + " " +
                     HeaderOf(request, "Repeatability-First-Sent"));
    }
    ASSERT_FALSE(keys.empty());
    EXPECT_NE(keys.front().find_first_not_of(' '), std::string::npos) << "no key on the POST";
    for (const std::string& key : keys) EXPECT_EQ(key, keys.front()) << "the key changed";
  }

  // Credentials stay at their origin: the caller's, the provider's and the origin's cookie.
  ASSERT_FALSE(at_origin.empty());
  EXPECT_EQ(HeaderOf(at_origin.front(), "Authorization"), kSecret) << "a credential was sent";
  for (const HttpRequest& request : at_other) {
    EXPECT_EQ(HeaderOf(request, "Authorization"), "") << request.method << " " << request.url;
    EXPECT_EQ(HeaderOf(request, "api-key"), "") << request.method << " " << request.url;
    EXPECT_EQ(HeaderOf(request, "Cookie").find(kAffinityCookie), std::string::npos)
        << request.method << " " << request.url;
  }
}

INSTANTIATE_TEST_SUITE_P(Blocking, FaultMatrix, ::testing::ValuesIn(AllCases(Face::kBlocking)),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Engine, FaultMatrix, ::testing::ValuesIn(AllCases(Face::kEngine)),
                         CaseName);

}  // namespace
}  // namespace lro::test
