// SPEC §2: reading the status monitor — statuses, links that move, errors, timestamps.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)

class StatusMonitorTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(StatusMonitorTest, Runs) { RunAndCheck(GetParam()); }

const std::string kFabItems = std::string(kFabric) + "/v1/workspaces/ws1/items";
const std::string kFabOp = std::string(kFabric) + "/v1/operations/op1";
const std::string kSvcJobs = std::string(kSvc) + "/jobs";
const std::string kSvcOp = std::string(kSvc) + "/operations/op1";

// A Fabric operation: 202 + Location + id, then the given monitor answers (each with the state
// Location unless it carries its own headers).
Scenario Fabric(std::string name, std::vector<HttpResponse> polls, Expect expect,
                std::vector<Req> extra_requests = {}) {
  Scenario s{.name = std::move(name), .method = "POST", .url = kFabItems, .body = "{}"};
  s.script.push_back(Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}, "null"));
  s.requests.push_back({"POST", kFabItems});
  for (auto& p : polls) {
    s.script.push_back(std::move(p));
    s.requests.push_back(Get(kFabOp));
  }
  for (auto& r : extra_requests) s.requests.push_back(std::move(r));
  s.expect = std::move(expect);
  return s;
}

// An Azure data-plane POST: 202 + Operation-Location, then the given monitor answers.
Scenario Azure(std::string name, std::vector<HttpResponse> polls, Expect expect) {
  Scenario s{.name = std::move(name), .method = "POST", .url = kSvcJobs, .body = "{}"};
  s.script.push_back(Resp(202, {{"Operation-Location", kSvcOp}}));
  s.requests.push_back({"POST", kSvcJobs});
  for (auto& p : polls) {
    s.script.push_back(std::move(p));
    s.requests.push_back(Get(kSvcOp));
  }
  s.expect = std::move(expect);
  return s;
}

HttpResponse FabState(std::string body,
                      Headers headers = {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}) {
  return Json(200, std::move(body), std::move(headers));
}

std::vector<Scenario> MonitorRows() {
  const std::string redirect = "https://wabi-west-europe-redirect.analysis.windows.net";
  const std::string result_url = kFabOp + "/result";
  std::vector<Scenario> rows{
      Fabric("FabricSucceededWithResult",
             {FabState(R"({"status":"Running"})"),
              FabState(R"({"status":"Succeeded"})", {{"Location", result_url}})},
             {.json = R"({"id":"item1"})"}, {Get(result_url)}),
      Fabric("FabricSucceededWithoutLocationHasNoResult",
             {FabState(R"({"status":"Running"})"), Json(200, R"({"status":"Succeeded"})")},
             {.has_value = false}),
      Fabric("FabricCompletedIsSuccess",
             {FabState(R"({"status":"Completed"})", {{"Location", result_url}})},
             {.json = R"({"id":"item1"})"}, {Get(result_url)}),
      Fabric("FabricStatusIsCaseInsensitive",
             {FabState(R"({"status":"running"})"), Json(200, R"({"status":"SUCCEEDED"})")},
             {.has_value = false}),
      Fabric("FabricUndefinedIsOperationFailure", {FabState(R"({"status":"Undefined"})")},
             {.code = StatusCode::kOperationFailed}),
      Fabric("FabricCancelledIsOperationCanceled", {FabState(R"({"status":"Cancelled"})")},
             {.code = StatusCode::kOperationCanceled}),
      Fabric("FabricCanceledIsOperationCanceled", {FabState(R"({"status":"Canceled"})")},
             {.code = StatusCode::kOperationCanceled}),
      Fabric("FabricUnknownStatusKeepsPolling",
             {FabState(R"({"status":"Provisioning"})"), FabState(R"({"status":"Provisioning"})"),
              FabState(R"({"status":"NotStarted"})"), Json(200, R"({"status":"Succeeded"})")},
             {.has_value = false}),
      Fabric(
          "FabricFailedCarriesErrorResponse",
          {FabState(R"({"status":"Running","percentComplete":10})"),
           FabState(
               R"({"status":"Failed","percentComplete":10,"error":{"errorCode":"ItemCreationFailed",)"
               R"("message":"Notebook could not be created","requestId":"req-7"}})")},
          {.code = StatusCode::kOperationFailed,
           .service_code = "ItemCreationFailed",
           .service_message = "Notebook could not be created"}),
      Fabric("FabricFailedWithoutErrorObject", {FabState(R"({"status":"Failed","error":null})")},
             {.code = StatusCode::kOperationFailed}),
      // Protocol errors: the monitor must carry a string status.
      Fabric("FabricStatusNullIsProtocolError", {FabState(R"({"status":null})")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricStatusNumberIsProtocolError", {FabState(R"({"status":3})")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricStatusObjectIsProtocolError", {FabState(R"({"status":{"v":"Running"}})")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricStatusMissingIsProtocolError", {FabState(R"({"percentComplete":5})")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricInvalidJsonIsProtocolError", {FabState(R"({"status":"Running")")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricEmptyBodyIsProtocolError", {FabState("")},
             {.code = StatusCode::kProtocolError}),
      Fabric("FabricArrayBodyIsProtocolError", {FabState(R"(["Running"])")},
             {.code = StatusCode::kProtocolError}),
      Azure("AzureStatusNullIsProtocolError", {Json(200, R"({"status":null})")},
            {.code = StatusCode::kProtocolError}),
      Azure("AzureStatusNumberIsProtocolError", {Json(200, R"({"status":1})")},
            {.code = StatusCode::kProtocolError}),
      Azure("AzureStatusMissingIsProtocolError", {Json(200, R"({"id":"op1"})")},
            {.code = StatusCode::kProtocolError}),
      Azure("AzureInvalidJsonIsProtocolError", {Json(200, "<html>oops</html>")},
            {.code = StatusCode::kProtocolError}),
      Azure("AzureCanceledIsOperationCanceled",
            {Json(200, R"({"status":"Running"})"), Json(200, R"({"status":"Canceled"})")},
            {.code = StatusCode::kOperationCanceled}),
      Azure("AzureCompletedIsSuccess", {Json(200, R"({"status":"Completed","result":{"n":1}})")},
            {.json = R"({"n":1})"}),
      Azure("AzureUnknownStatusKeepsPolling",
            {Json(200, R"({"status":"Provisioning"})"), Json(200, R"({"status":"Queued"})"),
             Json(200, R"({"status":"Succeeded","result":{"n":2}})")},
            {.json = R"({"n":2})"}),
      Azure("AzureFailedCarriesError",
            {Json(200, R"({"status":"Failed","error":{"code":"InternalFailure",)"
                       R"("message":"worker crashed","target":"job"}})")},
            {.code = StatusCode::kOperationFailed,
             .service_code = "InternalFailure",
             .service_message = "worker crashed"}),
  };

  // The Fabric result Location of the terminal answer is fetched, and a Location that moves
  // while running (to a regional cluster) is followed: always the latest one.
  rows.push_back(Scenario{
      .name = "FabricLocationMovesWhileRunning",
      .method = "POST",
      .url = kFabItems,
      .script = {Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}),
                 FabState(R"({"status":"Running"})", {{"Location", redirect + "/v1/operations/op1"},
                                                      {"x-ms-operation-id", "op1"}}),
                 FabState(R"({"status":"Running"})", {{"Location", redirect + "/v1/operations/op1"},
                                                      {"x-ms-operation-id", "op1"}}),
                 FabState(R"({"status":"Succeeded"})",
                          {{"Location", redirect + "/v1/operations/op1/result"}}),
                 Json(200, R"({"id":"item1"})")},
      .requests = {{"POST", kFabItems},
                   Get(kFabOp),
                   Get(redirect + "/v1/operations/op1"),
                   Get(redirect + "/v1/operations/op1"),
                   Get(redirect + "/v1/operations/op1/result")},
      .expect = {.json = R"({"id":"item1"})"}});
  rows.push_back(
      Scenario{.name = "FabricResultUsesLatestLocationNotFirst",
               .method = "POST",
               .url = kFabItems,
               .script = {Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}),
                          FabState(R"({"status":"Running"})"),
                          FabState(R"({"status":"Succeeded"})", {{"Location", result_url}}),
                          Json(200, R"({"id":"item1"})")},
               .requests = {{"POST", kFabItems}, Get(kFabOp), Get(kFabOp), Get(result_url)},
               .expect = {.json = R"({"id":"item1"})"}});
  rows.push_back(Scenario{
      .name = "AzureOperationLocationMovesWhileRunning",
      .method = "POST",
      .url = kSvcJobs,
      .script = {Resp(202, {{"Operation-Location", kSvcOp}}),
                 Json(200, R"({"status":"Running"})",
                      {{"Operation-Location", std::string(kSvc) + "/operations/op2"}}),
                 Json(200, R"({"status":"Succeeded","result":{"moved":true}})")},
      .requests = {{"POST", kSvcJobs}, Get(kSvcOp), Get(std::string(kSvc) + "/operations/op2")},
      .expect = {.json = R"({"moved":true})"}});
  rows.push_back(Scenario{.name = "ArmLocationMovesWhileRunning",
                          .method = "POST",
                          .url = kSvcJobs,
                          .script = {Resp(202, {{"Location", std::string(kSvc) + "/locs/l1"}}),
                                     Resp(202, {{"Location", std::string(kSvc) + "/locs/l2"}}),
                                     Json(200, R"({"at":"l2"})")},
                          .requests = {{"POST", kSvcJobs},
                                       Get(std::string(kSvc) + "/locs/l1"),
                                       Get(std::string(kSvc) + "/locs/l2")},
                          .expect = {.json = R"({"at":"l2"})"}});
  // The Fabric result GET answers the stored result; fill in its script answer.
  for (auto& row : rows) {
    if (row.requests.back().url == result_url && row.script.size() < row.requests.size()) {
      row.script.push_back(Json(200, R"({"id":"item1"})"));
    }
  }
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Spec2, StatusMonitorTest, ::testing::ValuesIn(MonitorRows()),
                         ScenarioName());

// --- State(): what the poller reports after each poll -----------------------------------

Timestamp At(int y, unsigned mo, unsigned d, int h, int mi, int s, milliseconds ms = {}) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + ms;
}

TEST(MonitorStateTest, FabricStateFieldsAndBothTimestampForms) {
  Harness h({Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}, "null"),
             FabState(R"({"status":"Running","createdTimeUtc":"2023-11-13T22:24:40.4770000",)"
                      R"("lastUpdatedTimeUtc":"2023-11-13T22:24:41.532Z","percentComplete":25,)"
                      R"("error":null})"),
             FabState(R"({"status":"Running","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
                      R"("lastUpdatedTimeUtc":"2023-11-13T22:24:45.1000000",)"
                      R"("percentComplete":null})"),
             FabState(R"({"status":"Failed","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
                      R"("lastUpdatedTimeUtc":"2023-11-13T22:24:50Z","percentComplete":60,)"
                      R"("error":{"errorCode":"Quota","message":"out of capacity",)"
                      R"("requestId":"rq-1","isRetriable":true}})")});
  Poller p = h.client.Start(Request::Post(kFabItems).Json("{}"));
  ASSERT_FALSE(p.IsDone()) << p.Outcome().status().ToString();

  ASSERT_TRUE(p.Poll().ok());
  OperationState s = p.State();
  EXPECT_EQ(s.status.kind, StatusKind::kRunning);
  EXPECT_EQ(s.status.raw, "Running");
  EXPECT_TRUE(s.status.known);
  EXPECT_EQ(s.percent_complete, 25);
  EXPECT_EQ(s.created, At(2023, 11, 13, 22, 24, 40, 477ms));
  EXPECT_EQ(s.last_updated, At(2023, 11, 13, 22, 24, 41, 532ms));
  EXPECT_FALSE(s.error.has_value());
  EXPECT_FALSE(p.IsDone());

  ASSERT_TRUE(p.Poll().ok());
  s = p.State();
  EXPECT_FALSE(s.percent_complete.has_value()) << "percentComplete null is no percentage";
  EXPECT_EQ(s.created, At(2023, 11, 13, 22, 24, 40, 477ms));
  EXPECT_EQ(s.last_updated, At(2023, 11, 13, 22, 24, 45, 100ms));

  p.Poll();
  ASSERT_TRUE(p.IsDone());
  s = p.State();
  EXPECT_EQ(s.status.kind, StatusKind::kFailed);
  EXPECT_EQ(s.status.raw, "Failed");
  EXPECT_EQ(s.percent_complete, 60);
  EXPECT_EQ(s.last_updated, At(2023, 11, 13, 22, 24, 50));
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, "Quota");
  EXPECT_EQ(s.error->request_id, "rq-1");
  EXPECT_EQ(s.error->is_retriable, true);

  Status outcome = p.Outcome().status();
  EXPECT_EQ(outcome.code(), StatusCode::kOperationFailed);
  ASSERT_TRUE(outcome.service_error().has_value());
  EXPECT_EQ(outcome.service_error()->code, "Quota");
  EXPECT_EQ(outcome.service_error()->message, "out of capacity");
  EXPECT_EQ(outcome.service_error()->request_id, "rq-1");
}

TEST(MonitorStateTest, UnknownStatusIsReportedRawAndUnknownThenPollingGoesOn) {
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> logs;
  auto transport = std::make_shared<lro::testing::ScriptedTransport>();
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Enqueue(*transport, {Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}}),
                       FabState(R"({"status":"Provisioning","percentComplete":5})"),
                       Json(200, R"({"status":"Succeeded"})")});
  ClientOptions options = MakeOptions(transport, clock);
  options.log = [&](LogLevel level, std::string_view line) {
    std::lock_guard lock(mu);
    logs.emplace_back(level, std::string(line));
  };
  Client client(options);
  Poller p = client.Start(Request::Post(kFabItems));
  std::vector<OperationState> progress;
  p.OnProgress([&](const OperationState& s) { progress.push_back(s); });

  ASSERT_TRUE(p.Poll().ok());
  EXPECT_FALSE(p.IsDone());
  EXPECT_EQ(p.State().status.raw, "Provisioning");
  EXPECT_FALSE(p.State().status.known);
  EXPECT_EQ(p.State().status.kind, StatusKind::kRunning);
  ASSERT_EQ(progress.size(), 1U);
  EXPECT_EQ(progress[0].status.raw, "Provisioning");
  EXPECT_FALSE(progress[0].status.known);
  {
    std::lock_guard lock(mu);
    bool reported = false;
    for (const auto& [level, line] : logs) {
      if (line.find("Provisioning") != std::string::npos && level >= LogLevel::kInfo) {
        reported = true;
      }
    }
    EXPECT_TRUE(reported) << "an unknown status is logged at kInfo or above";
  }

  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->has_value);
  EXPECT_EQ(p.State().status.kind, StatusKind::kSucceeded);
  EXPECT_TRUE(p.State().status.known);
}

TEST(MonitorStateTest, AzureFailedErrorReachesStateAndStatus) {
  Harness h({Resp(202, {{"Operation-Location", kSvcOp}}),
             Json(200, R"({"id":"op1","status":"Failed","error":{"code":"BadRequest",)"
                       R"("message":"invalid","details":[{"code":"Field","message":"x"}]}})")});
  Poller p = h.client.Start(Request::Post(kSvcJobs));
  auto outcome = p.Wait();
  ASSERT_EQ(outcome.status().code(), StatusCode::kOperationFailed) << outcome.status().ToString();
  ASSERT_TRUE(outcome.status().service_error().has_value());
  EXPECT_EQ(outcome.status().service_error()->code, "BadRequest");
  ASSERT_EQ(outcome.status().service_error()->details.size(), 1U);
  EXPECT_EQ(outcome.status().service_error()->details[0].code, "Field");
  EXPECT_FALSE(outcome.status().IsPollingFailure());
  ASSERT_TRUE(p.State().error.has_value());
  EXPECT_EQ(p.State().error->code, "BadRequest");
  EXPECT_EQ(p.State().status.kind, StatusKind::kFailed);
}

TEST(MonitorStateTest, ProtocolErrorIsAPollingFailure) {
  Harness h({Resp(202, {{"Operation-Location", kSvcOp}}), Json(200, R"({"status":false})")});
  Poller p = h.client.Start(Request::Post(kSvcJobs));
  auto outcome = p.Wait();
  EXPECT_EQ(outcome.status().code(), StatusCode::kProtocolError);
  EXPECT_TRUE(outcome.status().IsPollingFailure());
  EXPECT_TRUE(p.IsDone());
}

}  // namespace
}  // namespace lro::test
