// The Poller API: Poll, Wait (deadline, cancellation, Stop), progress, Cancel (SPEC §7).
#include "lro/poller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "scenario.h"

namespace lro::test {
namespace {

const std::string kFabItems = std::string(kFabric) + "/v1/workspaces/ws1/items";
const std::string kFabOp = std::string(kFabric) + "/v1/operations/op1";
const std::string kJobs = std::string(kSvc) + "/jobs";
const std::string kOp = std::string(kSvc) + "/operations/op1";

HttpResponse Fabric202(std::string retry_after = "1") {
  return Resp(202, {{"Location", kFabOp},
                    {"x-ms-operation-id", "op1"},
                    {"Retry-After", std::move(retry_after)}});
}
HttpResponse FabState(std::string body, std::string retry_after = "1") {
  return Json(200, std::move(body),
              {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", retry_after}});
}

// --- Poll ------------------------------------------------------------------------------

TEST(PollTest, OneStepNowWhateverTheServerAskedAndNoopOnceDone) {
  Harness h({Fabric202("3600"), FabState(R"({"status":"Running"})", "3600"),
             Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  EXPECT_FALSE(p.IsDone());
  EXPECT_EQ(p.Outcome().status().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(p.Poll().ok());
  EXPECT_EQ(h.requests().size(), 2U);
  EXPECT_FALSE(p.IsDone());
  ASSERT_TRUE(p.Poll().ok());
  EXPECT_EQ(h.requests().size(), 3U);
  EXPECT_TRUE(p.IsDone());
  EXPECT_TRUE(h.sleeps().empty()) << "Poll() never waits";

  EXPECT_TRUE(p.Poll().ok());
  EXPECT_TRUE(p.Poll().ok());
  EXPECT_EQ(h.requests().size(), 3U) << "no request once done";
  ASSERT_TRUE(p.Outcome().ok());
  EXPECT_FALSE(p.Outcome()->has_value);
}

TEST(PollTest, SynchronousOperationNeverPolls) {
  Harness h({Json(201, R"({"id":"1"})")});
  Poller p = h.client.Start(Request::Put(std::string(kSvc) + "/items/1").Json("{}"));
  ASSERT_TRUE(p.IsDone());
  EXPECT_TRUE(p.Poll().ok());
  auto a = p.Wait();
  auto b = p.Wait();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(h.requests().size(), 1U);
}

TEST(PollTest, PollerIsMovable) {
  Harness h({Fabric202(), Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  Poller q = std::move(p);
  ASSERT_TRUE(q.Wait().ok());
  EXPECT_TRUE(q.IsDone());
}

// --- Wait ------------------------------------------------------------------------------

TEST(WaitTest, TimeoutThenLaterWaitCompletes) {
  Harness h({Fabric202("10"),
             Json(200, R"({"status":"Succeeded"})", {{"Location", kFabOp + "/result"}}),
             Json(200, R"({"id":"item1"})")});
  const auto start = h.clock->Now();
  Poller p = h.client.Start(Request::Post(kFabItems));
  WaitOptions short_wait;
  short_wait.timeout = std::chrono::seconds(5);
  auto first = p.Wait(short_wait);
  EXPECT_EQ(first.status().code(), StatusCode::kDeadlineExceeded) << first.status().ToString();
  EXPECT_EQ(h.requests().size(), 1U) << "the server asked for 10 s: no poll within 5 s";
  EXPECT_FALSE(p.IsDone());
  EXPECT_LE(h.clock->Now() - start, std::chrono::seconds(5));

  auto second = p.Wait();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, R"({"id":"item1"})");
  EXPECT_GE(h.clock->Now() - start, std::chrono::seconds(10)) << "Retry-After still honoured";
  EXPECT_EQ(h.requests().size(), 3U);
}

TEST(WaitTest, TimeoutAfterSomePolls) {
  Harness h({Fabric202("1"), FabState(R"({"status":"Running"})", "60"),
             Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  WaitOptions w;
  w.timeout = std::chrono::seconds(30);
  EXPECT_EQ(p.Wait(w).status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h.requests().size(), 2U);
  EXPECT_EQ(p.State().status.raw, "Running");
  ASSERT_TRUE(p.Wait().ok());
  EXPECT_EQ(h.requests().size(), 3U);
}

TEST(WaitTest, AlreadyCancelledTokenThenFreshTokenCompletes) {
  Harness h(
      {Fabric202(), FabState(R"({"status":"Running"})"), Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  CancellationSource source;
  source.Cancel();
  WaitOptions cancelled;
  cancelled.cancel = source.token();
  EXPECT_EQ(p.Wait(cancelled).status().code(), StatusCode::kCancelled);
  EXPECT_EQ(h.requests().size(), 1U) << "no poll after the token fired";
  EXPECT_FALSE(p.IsDone());

  CancellationSource fresh;
  WaitOptions ok;
  ok.cancel = fresh.token();
  auto outcome = p.Wait(ok);
  ASSERT_TRUE(outcome.ok()) << "a cancelled wait must not poison the poller: "
                            << outcome.status().ToString();
  EXPECT_EQ(h.requests().size(), 3U);
}

TEST(WaitTest, CancelledDuringPollingThenWaitAgainCompletes) {
  CancellationSource source;
  std::atomic<int> gets{0};
  auto transport = std::make_shared<lro::testing::ScriptedTransport>(
      [&](const HttpRequest& req) -> StatusOr<HttpResponse> {
        if (req.method == "POST") return Fabric202();
        if (req.url == kFabOp + "/result") return Json(200, R"({"id":"item1"})");
        if (gets.fetch_add(1) == 0) {
          source.Cancel();
          return FabState(R"({"status":"Running","percentComplete":30})");
        }
        return Json(200, R"({"status":"Succeeded"})", {{"Location", kFabOp + "/result"}});
      });
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Client client(MakeOptions(transport, clock));
  Poller p = client.Start(Request::Post(kFabItems));
  WaitOptions w;
  w.cancel = source.token();
  EXPECT_EQ(p.Wait(w).status().code(), StatusCode::kCancelled);
  EXPECT_FALSE(p.IsDone());
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"item1"})");
}

TEST(WaitTest, StopEndsWaitsButNotTheOperation) {
  Harness h({Fabric202(), Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  p.Stop();
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kStopped);
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kStopped);
  EXPECT_EQ(h.requests().size(), 1U);
  EXPECT_FALSE(p.IsDone());
  auto token = p.ResumeToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_FALSE(token->empty());
}

TEST(WaitTest, StopFromAnotherThreadEndsARunningWait) {
  Poller* poller = nullptr;
  std::promise<void> stopped;
  std::future<void> stopped_future = stopped.get_future();
  std::thread stopper;
  std::atomic<int> gets{0};
  auto transport = std::make_shared<lro::testing::ScriptedTransport>(
      [&](const HttpRequest& req) -> StatusOr<HttpResponse> {
        if (req.method == "POST") return Fabric202();
        if (gets.fetch_add(1) == 0) {
          stopper = std::thread([&] {
            poller->Stop();
            stopped.set_value();
          });
          // A guard against a deadlock, not a sleep: Stop() must return promptly.
          EXPECT_EQ(stopped_future.wait_for(std::chrono::seconds(5)), std::future_status::ready)
              << "Stop() blocked while a Wait was polling";
        }
        return FabState(R"({"status":"Running"})");
      });
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Client client(MakeOptions(transport, clock));
  Poller p = client.Start(Request::Post(kFabItems));
  poller = &p;
  auto outcome = p.Wait();
  if (stopper.joinable()) stopper.join();
  EXPECT_EQ(outcome.status().code(), StatusCode::kStopped) << outcome.status().ToString();
  EXPECT_EQ(gets.load(), 1) << "no poll after Stop()";
}

// --- progress ----------------------------------------------------------------------------

TEST(ProgressTest, EveryPolledStateReachesEveryCallback) {
  Harness h({Fabric202(), FabState(R"({"status":"NotStarted","percentComplete":0})"),
             FabState(R"({"status":"Running","percentComplete":10})"),
             FabState(R"({"status":"Running","percentComplete":60})"),
             Json(200, R"({"status":"Succeeded","percentComplete":100})")});
  Poller p = h.client.Start(Request::Post(kFabItems));
  std::vector<OperationState> a;
  int b = 0;
  p.OnProgress([&](const OperationState& s) { a.push_back(s); });
  p.OnProgress([&](const OperationState&) { ++b; });
  ASSERT_TRUE(p.Wait().ok());
  ASSERT_EQ(a.size(), 4U);
  EXPECT_EQ(b, 4);
  EXPECT_EQ(a[0].status.raw, "NotStarted");
  EXPECT_EQ(a[0].percent_complete, 0);
  EXPECT_EQ(a[1].percent_complete, 10);
  EXPECT_EQ(a[2].percent_complete, 60);
  EXPECT_EQ(a[3].status.kind, StatusKind::kSucceeded);
  EXPECT_EQ(a[3].percent_complete, 100);
  EXPECT_EQ(p.State(), a[3]);
}

// --- Cancel ------------------------------------------------------------------------------

TEST(CancelTest, AutoOnOperationLocationPostsMonitorCancel) {
  Harness h({Resp(202, {{"Operation-Location", kOp}}),
             Json(200, R"({"id":"op1","status":"Canceling"})"),
             Json(200, R"({"id":"op1","status":"Canceled"})")});
  Poller p =
      h.client.Start(Request::Post(kJobs).Json("{}").Header("x-ms-client-request-id", "cid-9"));
  ASSERT_TRUE(p.Cancel().ok());
  auto outcome = p.Wait();
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationCanceled);
  auto sent = h.requests();
  ASSERT_EQ(Summarize(sent),
            (std::vector<Req>{{"POST", kJobs}, {"POST", kOp + ":cancel"}, Get(kOp)}));
  EXPECT_EQ(HeaderOf(sent[1], "x-ms-client-request-id"), "cid-9");
  EXPECT_EQ(p.State().status.kind, StatusKind::kCanceled);
}

TEST(CancelTest, AutoOnAzureAsyncOperationPostsMonitorCancel) {
  const std::string aao = std::string(kSvc) + "/asyncops/a1";
  Harness h({Resp(202, {{"Azure-AsyncOperation", aao}}), Json(200, R"({"status":"Canceling"})"),
             Json(200, R"({"status":"Canceled"})")});
  Poller p = h.client.Start(Request::Post(kJobs));
  ASSERT_TRUE(p.Cancel().ok());
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kOperationCanceled);
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{{"POST", kJobs}, {"POST", aao + ":cancel"}, Get(aao)}));
}

TEST(CancelTest, MonitorCancelKeepsApiVersionQuery) {
  const std::string item = std::string(kSvc) + "/items/1?api-version=2024-01-01";
  Harness h({Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Canceling"})"),
             Json(200, R"({"status":"Canceled"})")});
  Poller p = h.client.Start(Request::Put(item).Json("{}"));
  ASSERT_TRUE(p.Cancel().ok());
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kOperationCanceled);
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{{"PUT", item},
                              {"POST", kOp + ":cancel?api-version=2024-01-01"},
                              Get(kOp + "?api-version=2024-01-01")}));
}

TEST(CancelTest, ExplicitPostMonitorCancelOnFabric) {
  Harness h({Fabric202(), Resp(202), Json(200, R"({"status":"Cancelled"})")});
  OperationOptions options;
  options.cancel_style = CancelStyle::kPostMonitorCancel;
  Poller p = h.client.Start(Request::Post(kFabItems), options);
  ASSERT_TRUE(p.Cancel().ok());
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kOperationCanceled);
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{{"POST", kFabItems}, {"POST", kFabOp + ":cancel"}, Get(kFabOp)}));
}

TEST(CancelTest, DeleteMonitor) {
  Harness h(
      {Resp(202, {{"Operation-Location", kOp}}), Resp(204), Json(200, R"({"status":"Canceled"})")});
  OperationOptions options;
  options.cancel_style = CancelStyle::kDeleteMonitor;
  Poller p = h.client.Start(Request::Post(kJobs), options);
  ASSERT_TRUE(p.Cancel().ok());
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kOperationCanceled);
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{{"POST", kJobs}, {"DELETE", kOp}, Get(kOp)}));
}

TEST(CancelTest, CustomRequestCarriesCallerHeaders) {
  Harness h(
      {Resp(202, {{"Operation-Location", kOp}}), Resp(200), Json(200, R"({"status":"Canceled"})")});
  OperationOptions options;
  options.cancel_style = CancelStyle::kCustom;
  options.cancel_request = HttpRequest{"POST", std::string(kSvc) + "/jobs/j1/stop", {}, {}};
  Poller p =
      h.client.Start(Request::Post(kJobs).Header("x-ms-client-request-id", "cid-3"), options);
  ASSERT_TRUE(p.Cancel().ok());
  EXPECT_EQ(p.Wait().status().code(), StatusCode::kOperationCanceled);
  auto sent = h.requests();
  ASSERT_EQ(
      Summarize(sent),
      (std::vector<Req>{{"POST", kJobs}, {"POST", std::string(kSvc) + "/jobs/j1/stop"}, Get(kOp)}));
  EXPECT_EQ(HeaderOf(sent[1], "x-ms-client-request-id"), "cid-3");
}

TEST(CancelTest, NoneIsFailedPreconditionWithoutRequest) {
  Harness h({Resp(202, {{"Operation-Location", kOp}})});
  OperationOptions options;
  options.cancel_style = CancelStyle::kNone;
  Poller p = h.client.Start(Request::Post(kJobs), options);
  EXPECT_EQ(p.Cancel().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.requests().size(), 1U);
}

TEST(CancelTest, FinishedOperationIsOkWithoutRequest) {
  Harness h({Resp(202, {{"Operation-Location", kOp}}),
             Json(200, R"({"status":"Succeeded","result":{}})")});
  Poller p = h.client.Start(Request::Post(kJobs));
  ASSERT_TRUE(p.Wait().ok());
  EXPECT_TRUE(p.Cancel().ok());
  EXPECT_EQ(h.requests().size(), 2U);
  EXPECT_TRUE(p.Wait().ok()) << "cancel of a finished operation changes nothing";
}

TEST(CancelTest, SynchronousOperationIsOkWithoutRequest) {
  Harness h({Resp(204)});
  Poller p = h.client.Start(Request::Delete(std::string(kSvc) + "/items/1"));
  EXPECT_TRUE(p.Cancel().ok());
  EXPECT_EQ(h.requests().size(), 1U);
}

TEST(CancelTest, ArmLocationModeHasNoAutoCancel) {
  Harness h({Resp(202, {{"Location", std::string(kSvc) + "/locs/l1"}})});
  Poller p = h.client.Start(Request::Post(kJobs));
  EXPECT_EQ(p.Cancel().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.requests().size(), 1U);
}

TEST(CancelTest, BodyModeHasNoAutoCancel) {
  Harness h({Json(201, R"({"properties":{"provisioningState":"Creating"}})")});
  Poller p = h.client.Start(Request::Put(std::string(kSvc) + "/items/1").Json("{}"));
  EXPECT_EQ(p.Cancel().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.requests().size(), 1U);
}

}  // namespace
}  // namespace lro::test
