// SPEC §6: transient failures at every step are retried within a budget and never change the
// operation's state; the initial POST is retried only with an idempotency key (added by
// default); non-transient errors end polling.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/policies/delay.h"
#include "lro/poller.h"
#include "scenario.h"
#include "wire/http_date.h"

namespace lro::test {
namespace {

const std::string kItem = std::string(kSvc) + "/items/1";
const std::string kOp = std::string(kSvc) + "/operations/op1";
const std::string kJobs = std::string(kSvc) + "/jobs";

struct Fault {
  std::string name;
  Script steps;                      // the failures, in order
  std::vector<milliseconds> delays;  // the retry delays they cause
};

std::vector<Fault> Faults() {
  return {
      {"TransportReset", {Unavailable()}, {100ms}},
      {"Http408", {Resp(408)}, {100ms}},
      {"Http429WithRetryAfter",
       {Json(429, R"({"errorCode":"TooManyRequests","message":"slow down","isRetriable":true})",
             {{"Retry-After", "7"}})},
       {7000ms}},
      {"Http500", {Json(500, R"({"error":{"code":"InternalError","message":"oops"}})")}, {100ms}},
      {"Http502", {Resp(502)}, {100ms}},
      {"Http503Burst", {Resp(503), Resp(503), Resp(503)}, {100ms, 200ms, 400ms}},
      {"Http503WithRetryAfter", {Resp(503, {{"Retry-After", "2"}})}, {2000ms}},
      {"Http504", {Resp(504)}, {100ms}},
      {"MixedBurst", {Unavailable("timeout"), Resp(502), Resp(504)}, {100ms, 200ms, 400ms}},
  };
}

enum class At { kInitial, kPoll, kFinalGet };

// PUT with Operation-Location: start, Running 50%, Succeeded, GET the original URL — with
// `fault` injected before the request `at`.
Scenario WithFault(const Fault& fault, At at) {
  static const char* const kAtName[] = {"Initial", "Poll", "FinalGet"};
  Scenario s{.name = std::string(kAtName[static_cast<int>(at)]) + "_" + fault.name,
             .method = "PUT",
             .url = kItem,
             .body = R"({"name":"x"})"};
  auto inject = [&](At here, const Req& req) {
    if (here != at) return;
    for (const auto& step : fault.steps) {
      s.script.push_back(step);
      s.requests.push_back(req);
    }
  };
  inject(At::kInitial, {"PUT", kItem});
  s.script.push_back(Resp(201, {{"Operation-Location", kOp}, {"Retry-After", "1"}}));
  s.requests.push_back({"PUT", kItem});
  s.script.push_back(
      Json(200, R"({"status":"Running","percentComplete":50})", {{"Retry-After", "1"}}));
  s.requests.push_back(Get(kOp));
  inject(At::kPoll, Get(kOp));
  s.script.push_back(Json(200, R"({"status":"Succeeded","percentComplete":100})"));
  s.requests.push_back(Get(kOp));
  inject(At::kFinalGet, Get(kItem));
  s.script.push_back(Json(200, R"({"id":"1","name":"x"})"));
  s.requests.push_back(Get(kItem));

  std::vector<milliseconds> sleeps;
  if (at == At::kInitial) sleeps = fault.delays;
  sleeps.push_back(1000ms);
  sleeps.push_back(1000ms);
  if (at != At::kInitial) sleeps.insert(sleeps.end(), fault.delays.begin(), fault.delays.end());
  s.sleeps = sleeps;
  s.expect = {.json = R"({"id":"1","name":"x"})"};
  return s;
}

class TransientFaultTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(TransientFaultTest, RetriedAndSucceeds) { RunAndCheck(GetParam()); }

std::vector<Scenario> FaultRows() {
  std::vector<Scenario> rows;
  for (At at : {At::kInitial, At::kPoll, At::kFinalGet}) {
    for (const Fault& f : Faults()) rows.push_back(WithFault(f, at));
  }
  const std::string fab_op = std::string(kFabric) + "/v1/operations/op1";
  const std::string fab_items = std::string(kFabric) + "/v1/workspaces/w/items";
  rows.push_back(Scenario{
      .name = "FabricPoll503WithRetryAfter",
      .method = "POST",
      .url = fab_items,
      .script = {Resp(202,
                      {{"Location", fab_op}, {"x-ms-operation-id", "op1"}, {"Retry-After", "1"}}),
                 Resp(503, {{"Retry-After", "3"}}),
                 Json(200, R"({"status":"Succeeded"})", {{"Location", fab_op + "/result"}}),
                 Resp(500), Json(200, R"({"id":"item1"})")},
      .requests = {{"POST", fab_items},
                   Get(fab_op),
                   Get(fab_op),
                   Get(fab_op + "/result"),
                   Get(fab_op + "/result")},
      .expect = {.json = R"({"id":"item1"})"},
      .sleeps = std::vector<milliseconds>{1000ms, 3000ms, 100ms}});
  rows.push_back(Scenario{.name = "ArmLocationPollRetried",
                          .method = "DELETE",
                          .url = kItem,
                          .script = {Resp(202, {{"Location", std::string(kSvc) + "/locs/l1"}}),
                                     Resp(500), Resp(202), Unavailable(), Resp(204)},
                          .requests = {{"DELETE", kItem},
                                       Get(std::string(kSvc) + "/locs/l1"),
                                       Get(std::string(kSvc) + "/locs/l1"),
                                       Get(std::string(kSvc) + "/locs/l1"),
                                       Get(std::string(kSvc) + "/locs/l1")},
                          .expect = {.has_value = false},
                          .sleeps = std::vector<milliseconds>{1000ms, 100ms, 1000ms, 100ms}});
  rows.push_back(Scenario{
      .name = "SuccessResetsRetryCount",
      .method = "PUT",
      .url = kItem,
      .script = {Resp(201, {{"Operation-Location", kOp}}), Resp(503), Resp(503), Resp(503),
                 Json(200, R"({"status":"Running"})"), Resp(503), Resp(503), Resp(503),
                 Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")},
      .requests = {{"PUT", kItem},
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kOp),
                   Get(kItem)},
      .expect = {.json = R"({"id":"1"})"},
      .sleeps =
          std::vector<milliseconds>{1000ms, 100ms, 200ms, 400ms, 1000ms, 100ms, 200ms, 400ms}});
  // The idempotent initial methods are retried; so is a POST with an idempotency key.
  rows.push_back(Scenario{
      .name = "InitialDeleteRetried",
      .method = "DELETE",
      .url = kItem,
      .script = {Resp(500), Resp(202, {{"Location", std::string(kSvc) + "/locs/l1"}}), Resp(204)},
      .requests = {{"DELETE", kItem}, {"DELETE", kItem}, Get(std::string(kSvc) + "/locs/l1")},
      .expect = {.has_value = false}});
  rows.push_back(Scenario{.name = "InitialPatchRetried",
                          .method = "PATCH",
                          .url = kItem,
                          .body = R"({"a":1})",
                          .script = {Unavailable(), Json(200, R"({"id":"1","a":1})")},
                          .requests = {{"PATCH", kItem}, {"PATCH", kItem}},
                          .expect = {.json = R"({"id":"1","a":1})"},
                          .sleeps = std::vector<milliseconds>{100ms}});
  rows.push_back(Scenario{.name = "InitialPostWithOperationIdRetried",
                          .method = "POST",
                          .url = kJobs,
                          .headers = {{"Operation-Id", "caller-op-1"}},
                          .script = {Resp(503), Resp(202, {{"Operation-Location", kOp}}),
                                     Json(200, R"({"status":"Succeeded","result":{"ok":1}})")},
                          .requests = {{"POST", kJobs}, {"POST", kJobs}, Get(kOp)},
                          .expect = {.json = R"({"ok":1})"}});
  rows.push_back(
      Scenario{.name = "InitialPostWithCallerRepeatabilityHeadersRetried",
               .method = "POST",
               .url = kJobs,
               .headers = {{"Repeatability-Request-ID", "5ad6c1b2-0000-4000-8000-00000000000a"},
                           {"Repeatability-First-Sent", "Mon, 01 Jan 2024 00:00:00 GMT"}},
               .script = {Resp(502), Resp(202, {{"Operation-Location", kOp}}),
                          Json(200, R"({"status":"Succeeded","result":{"ok":2}})")},
               .requests = {{"POST", kJobs}, {"POST", kJobs}, Get(kOp)},
               .expect = {.json = R"({"ok":2})"}});
  // Budget exhausted: kUnavailable naming the last cause.
  rows.push_back(Scenario{
      .name = "PollTransportBudgetExhausted",
      .method = "PUT",
      .url = kItem,
      .script = {Resp(201, {{"Operation-Location", kOp}}), Unavailable("connection refused"),
                 Unavailable("connection refused"), Unavailable("connection refused"),
                 Unavailable("connection reset by peer")},
      .requests = {{"PUT", kItem}, Get(kOp), Get(kOp), Get(kOp), Get(kOp)},
      .expect = {.code = StatusCode::kUnavailable, .message_has = "connection reset by peer"},
      .sleeps = std::vector<milliseconds>{1000ms, 100ms, 200ms, 400ms}});
  rows.push_back(Scenario{.name = "Poll503BudgetExhausted",
                          .method = "PUT",
                          .url = kItem,
                          .script = {Resp(201, {{"Operation-Location", kOp}}), Resp(500), Resp(502),
                                     Resp(504), Resp(503)},
                          .requests = {{"PUT", kItem}, Get(kOp), Get(kOp), Get(kOp), Get(kOp)},
                          .expect = {.code = StatusCode::kUnavailable, .message_has = "503"}});
  rows.push_back(
      Scenario{.name = "InitialPutBudgetExhausted",
               .method = "PUT",
               .url = kItem,
               .script = {Resp(500), Resp(500), Resp(500), Resp(502)},
               .requests = {{"PUT", kItem}, {"PUT", kItem}, {"PUT", kItem}, {"PUT", kItem}},
               .expect = {.code = StatusCode::kUnavailable, .message_has = "502"},
               .sleeps = std::vector<milliseconds>{100ms, 200ms, 400ms}});
  rows.push_back(Scenario{
      .name = "FinalGetBudgetExhausted",
      .method = "PUT",
      .url = kItem,
      .script = {Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Succeeded"})"),
                 Resp(408), Resp(408), Resp(408), Resp(504)},
      .requests = {{"PUT", kItem}, Get(kOp), Get(kItem), Get(kItem), Get(kItem), Get(kItem)},
      .expect = {.code = StatusCode::kUnavailable, .message_has = "504"}});
  rows.push_back(
      Scenario{.name = "PerCallRetryPolicy",
               .method = "PUT",
               .url = kItem,
               .script = {Resp(201, {{"Operation-Location", kOp}}), Resp(503), Resp(503)},
               .options = {.retry = RetryPolicy{.max_attempts = 2,
                                                .initial = 50ms,
                                                .multiplier = 2.0,
                                                .max = 1000ms,
                                                .jitter = 0.0}},
               .requests = {{"PUT", kItem}, Get(kOp), Get(kOp)},
               .expect = {.code = StatusCode::kUnavailable},
               .sleeps = std::vector<milliseconds>{1000ms, 50ms}});
  // Non-transient answers end polling at once.
  rows.push_back(Scenario{
      .name = "Poll404IsHttpError",
      .method = "PUT",
      .url = kItem,
      .script = {Resp(201, {{"Operation-Location", kOp}}),
                 Json(404, R"({"error":{"code":"NotFound","message":"no such operation"}})",
                      {{"x-ms-error-code", "NotFound"}})},
      .requests = {{"PUT", kItem}, Get(kOp)},
      .expect = {.code = StatusCode::kHttpError,
                 .http_status = 404,
                 .service_code = "NotFound",
                 .service_message = "no such operation"}});
  rows.push_back(Scenario{
      .name = "FabricPoll404EntityNotFound",
      .method = "POST",
      .url = std::string(kFabric) + "/v1/workspaces/w/items",
      .script = {Resp(202, {{"Location", std::string(kFabric) + "/v1/operations/op1"},
                            {"x-ms-operation-id", "op1"}}),
                 Json(404,
                      R"({"errorCode":"EntityNotFound","message":"not found","requestId":"q"})",
                      {{"x-ms-public-api-error-code", "EntityNotFound"}})},
      .requests = {{"POST", std::string(kFabric) + "/v1/workspaces/w/items"},
                   Get(std::string(kFabric) + "/v1/operations/op1")},
      .expect = {
          .code = StatusCode::kHttpError, .http_status = 404, .service_code = "EntityNotFound"}});
  rows.push_back(Scenario{.name = "Poll403IsHttpError",
                          .method = "PUT",
                          .url = kItem,
                          .script = {Resp(201, {{"Operation-Location", kOp}}), Resp(403)},
                          .requests = {{"PUT", kItem}, Get(kOp)},
                          .expect = {.code = StatusCode::kHttpError, .http_status = 403}});
  rows.push_back(Scenario{.name = "Poll400IsHttpError",
                          .method = "PUT",
                          .url = kItem,
                          .script = {Resp(201, {{"Operation-Location", kOp}}), Resp(400)},
                          .requests = {{"PUT", kItem}, Get(kOp)},
                          .expect = {.code = StatusCode::kHttpError, .http_status = 400}});
  rows.push_back(Scenario{.name = "FinalGet404IsHttpError",
                          .method = "PUT",
                          .url = kItem,
                          .script = {Resp(201, {{"Operation-Location", kOp}}),
                                     Json(200, R"({"status":"Succeeded"})"), Resp(404)},
                          .requests = {{"PUT", kItem}, Get(kOp), Get(kItem)},
                          .expect = {.code = StatusCode::kHttpError, .http_status = 404}});
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Spec6, TransientFaultTest, ::testing::ValuesIn(FaultRows()),
                         ScenarioName());

// --- the initial POST ---------------------------------------------------------------------

OperationOptions WithoutIdempotencyKey() {
  OperationOptions options;
  options.add_repeatability_headers = false;
  return options;
}

TEST(InitialPostTest, NotRetriedOnHttp503WithoutKey) {
  Harness h({Resp(503), Resp(202, {{"Operation-Location", kOp}})});
  Poller p = h.client.Start(Request::Post(kJobs).Json("{}"), WithoutIdempotencyKey());
  ASSERT_TRUE(p.IsDone());
  EXPECT_EQ(h.requests().size(), 1U) << "a POST without idempotency key must not be re-sent";
  Status s = p.Outcome().status();
  EXPECT_TRUE(s.IsPollingFailure()) << s.ToString();
  EXPECT_NE(s.ToString().find("503"), std::string::npos) << s.ToString();
}

TEST(InitialPostTest, NotRetriedOnTransportFailureWithoutKey) {
  Harness h({Unavailable("connection reset by peer"), Resp(202, {{"Operation-Location", kOp}})});
  Poller p = h.client.Start(Request::Post(kJobs).Json("{}"), WithoutIdempotencyKey());
  ASSERT_TRUE(p.IsDone());
  EXPECT_EQ(h.requests().size(), 1U);
  EXPECT_EQ(p.Outcome().status().code(), StatusCode::kUnavailable);
}

TEST(InitialPostTest, RepeatabilityHeadersMakeItRetryableAndStayIdentical) {
  Harness h({Resp(503), Unavailable(), Resp(202, {{"Operation-Location", kOp}}),
             Json(200, R"({"status":"Succeeded","result":{"ok":true}})")});
  OperationOptions options;
  options.add_repeatability_headers = true;
  Poller p = h.client.Start(Request::Post(kJobs).Json(R"({"n":1})"), options);
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto sent = h.requests();
  ASSERT_EQ(Summarize(sent),
            (std::vector<Req>{{"POST", kJobs}, {"POST", kJobs}, {"POST", kJobs}, Get(kOp)}));
  auto id = HeaderOf(sent[0], "Repeatability-Request-ID");
  auto first_sent = HeaderOf(sent[0], "Repeatability-First-Sent");
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(first_sent.has_value());
  EXPECT_FALSE(id->empty());
  EXPECT_TRUE(wire::ParseHttpDate(*first_sent).has_value())
      << "Repeatability-First-Sent is an HTTP-date: " << *first_sent;
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(HeaderOf(sent[i], "Repeatability-Request-ID"), id);
    EXPECT_EQ(HeaderOf(sent[i], "Repeatability-First-Sent"), first_sent);
    EXPECT_EQ(sent[i].body, R"({"n":1})");
  }
  EXPECT_EQ(h.sleeps(), (std::vector<milliseconds>{100ms, 200ms, 1000ms}));
}

TEST(InitialPostTest, RepeatabilityIdsDifferPerOperation) {
  Harness h({Json(200, "{}"), Json(200, "{}")});
  OperationOptions options;
  options.add_repeatability_headers = true;
  Poller a = h.client.Start(Request::Post(kJobs), options);
  Poller b = h.client.Start(Request::Post(kJobs), options);
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_NE(HeaderOf(sent[0], "Repeatability-Request-ID"),
            HeaderOf(sent[1], "Repeatability-Request-ID"));
}

// --- state never regresses across failures --------------------------------------------

TEST(TransientStateTest, FailuresLeaveStateAsItWas) {
  Harness h({Resp(201, {{"Operation-Location", kOp}}),
             Json(200, R"({"status":"Running","percentComplete":50})"), Resp(503), Unavailable(),
             Json(200, R"({"status":"Succeeded","percentComplete":100})"), Resp(500),
             Json(200, R"({"id":"1"})")});
  Poller p = h.client.Start(Request::Put(kItem).Json("{}"));
  std::vector<OperationState> progress;
  p.OnProgress([&](const OperationState& s) { progress.push_back(s); });

  ASSERT_TRUE(p.Poll().ok());
  EXPECT_EQ(p.State().percent_complete, 50);
  const OperationState running = p.State();
  ASSERT_EQ(progress.size(), 1U);

  const Status retried = p.Poll();
  EXPECT_EQ(retried.code(), StatusCode::kUnavailable)
      << "a step that only scheduled a retry says so: " << retried.ToString();
  EXPECT_NE(retried.message().find("503"), std::string::npos) << retried.ToString();
  EXPECT_EQ(p.State(), running);
  EXPECT_FALSE(p.IsDone());
  EXPECT_EQ(p.Poll().code(), StatusCode::kUnavailable);
  EXPECT_EQ(p.State(), running);
  EXPECT_FALSE(p.IsDone());
  EXPECT_EQ(progress.size(), 1U) << "a failed poll brings no state";

  p.Poll();  // Succeeded, then the final GET fails transiently
  EXPECT_EQ(p.State().status.kind, StatusKind::kSucceeded);
  EXPECT_EQ(p.State().percent_complete, 100);
  EXPECT_FALSE(p.IsDone()) << "the result is not in hand yet";
  p.Poll();  // the final GET again
  ASSERT_TRUE(p.IsDone());
  EXPECT_EQ(p.State().status.kind, StatusKind::kSucceeded);
  ASSERT_TRUE(p.Outcome().ok()) << p.Outcome().status().ToString();
  EXPECT_EQ(p.Outcome()->body, R"({"id":"1"})");
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{
                {"PUT", kItem}, Get(kOp), Get(kOp), Get(kOp), Get(kOp), Get(kItem), Get(kItem)}));
  CheckNoRegression(progress);
}

}  // namespace
}  // namespace lro::test
