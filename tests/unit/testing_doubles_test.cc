// The doubles lro::testing ships for users' tests: FakeClock, ScriptedTransport, FakePoller.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "lro/cancellation.h"
#include "lro/testing/fake_clock.h"
#include "lro/testing/fake_poller.h"
#include "lro/testing/scripted_transport.h"
#include "scenario.h"

namespace lro::testing {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)

// --- FakeClock ---------------------------------------------------------------------------

TEST(FakeClockTest, WallStartsAt2024) {
  FakeClock clock;
  EXPECT_EQ(clock.WallNow(), sys_days{year{2024} / January / day{1}});
}

TEST(FakeClockTest, CustomWallStart) {
  const auto start = sys_days{year{2030} / June / day{15}} + hours{12};
  FakeClock clock(start);
  EXPECT_EQ(clock.WallNow(), start);
}

TEST(FakeClockTest, SleepAdvancesBothClocksAndIsRecorded) {
  FakeClock clock;
  const auto mono0 = clock.Now();
  const auto wall0 = clock.WallNow();
  EXPECT_TRUE(clock.SleepUntil(mono0 + 1500ms, {}));
  EXPECT_EQ(clock.Now() - mono0, 1500ms);
  EXPECT_EQ(clock.WallNow() - wall0, 1500ms);
  EXPECT_TRUE(clock.SleepUntil(clock.Now() + 20ms, {}));
  EXPECT_EQ(clock.sleeps(), (std::vector<milliseconds>{1500ms, 20ms}));
}

TEST(FakeClockTest, SleepToThePastRecordsZeroAndKeepsTime) {
  FakeClock clock;
  clock.Advance(10s);
  const auto now = clock.Now();
  EXPECT_TRUE(clock.SleepUntil(now - 5s, {}));
  EXPECT_EQ(clock.Now(), now) << "monotonic time never goes back";
  EXPECT_EQ(clock.sleeps(), (std::vector<milliseconds>{0ms}));
}

TEST(FakeClockTest, AdvanceMovesTimeWithoutRecordingASleep) {
  FakeClock clock;
  const auto mono0 = clock.Now();
  const auto wall0 = clock.WallNow();
  clock.Advance(3s);
  EXPECT_EQ(clock.Now() - mono0, 3s);
  EXPECT_EQ(clock.WallNow() - wall0, 3s);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(FakeClockTest, CancelledTokenReturnsFalseAtOnce) {
  FakeClock clock;
  CancellationSource source;
  source.Cancel();
  const auto now = clock.Now();
  EXPECT_FALSE(clock.SleepUntil(now + 1h, source.token()));
  EXPECT_LT(clock.Now() - now, 1h) << "a cancelled sleep must not run to its deadline";
}

// --- ScriptedTransport --------------------------------------------------------------------

TEST(ScriptedTransportTest, AnswersInOrderAndRecords) {
  ScriptedTransport t;
  t.Then(202, {{"Location", "https://x.example.com/op"}})
      .ThenFail(Status(StatusCode::kUnavailable, "reset"))
      .Then(HttpResponse{200, {}, "done"});
  EXPECT_EQ(t.remaining(), 3U);

  auto r1 = t.Send({"POST", "https://x.example.com/a", {{"h", "v"}}, "body"}, {});
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->status, 202);
  EXPECT_EQ(FindHeader(r1->headers, "location"), "https://x.example.com/op");
  auto r2 = t.Send({"GET", "https://x.example.com/op", {}, {}}, {});
  EXPECT_EQ(r2.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r2.status().message(), "reset");
  auto r3 = t.Send({"GET", "https://x.example.com/op", {}, {}}, {});
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->body, "done");
  EXPECT_EQ(t.remaining(), 0U);

  auto sent = t.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].body, "body");
  EXPECT_EQ(sent[0].headers, (Headers{{"h", "v"}}));
  EXPECT_EQ(sent[2].url, "https://x.example.com/op");
}

TEST(ScriptedTransportTest, ExhaustedScriptIsInternalError) {
  ScriptedTransport t;
  t.Then(200);
  EXPECT_TRUE(t.Send({"GET", "https://x.example.com/", {}, {}}, {}).ok());
  auto r = t.Send({"GET", "https://x.example.com/again", {}, {}}, {});
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("script exhausted"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(t.requests().size(), 2U) << "the unanswered request is still recorded";
}

TEST(ScriptedTransportTest, HandlerAnswersEveryRequest) {
  ScriptedTransport t([](const HttpRequest& req) -> StatusOr<HttpResponse> {
    return HttpResponse{200, {{"X-Echo", req.url}}, req.method};
  });
  auto r = t.Send({"DELETE", "https://x.example.com/z", {}, {}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "DELETE");
  EXPECT_EQ(FindHeader(r->headers, "x-echo"), "https://x.example.com/z");
  EXPECT_EQ(t.requests().size(), 1U);
}

// --- FakePoller ----------------------------------------------------------------------------

OperationState StateOf(const char* status, std::optional<int> percent) {
  OperationState s;
  s.status = ClassifyStatus(status);
  s.percent_complete = percent;
  return s;
}

Result JsonResult(std::string body) {
  return Result{true, 200, "application/json", std::move(body)};
}

TEST(FakePollerTest, WaitPlaysAllStatesAndReturnsOutcome) {
  std::vector<OperationState> states{StateOf("NotStarted", 0), StateOf("Running", 40),
                                     StateOf("Succeeded", 100)};
  FakePoller poller(states, JsonResult(R"({"id":"1"})"));
  std::vector<OperationState> seen;
  poller.OnProgress([&](const OperationState& s) { seen.push_back(s); });
  auto outcome = poller.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"1"})");
  EXPECT_TRUE(poller.IsDone());
  EXPECT_EQ(poller.State(), states.back());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), states.back());
  EXPECT_GE(poller.poll_count(), 1);
  lro::test::CheckNoRegression(seen);
  ASSERT_TRUE(poller.Outcome().ok());
}

TEST(FakePollerTest, PollStepsThroughStatesWithCallbacks) {
  std::vector<OperationState> states{StateOf("Running", 10), StateOf("Running", 60),
                                     StateOf("Failed", std::nullopt)};
  Status failure(StatusCode::kOperationFailed, "boom");
  FakePoller poller(states, failure);
  std::vector<OperationState> seen;
  poller.OnProgress([&](const OperationState& s) { seen.push_back(s); });
  int polls = 0;
  while (!poller.IsDone() && polls < 10) {
    EXPECT_EQ(poller.Outcome().status().code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(poller.Poll().ok());
    ++polls;
  }
  ASSERT_TRUE(poller.IsDone());
  EXPECT_EQ(poller.poll_count(), polls);
  EXPECT_EQ(static_cast<int>(seen.size()), polls) << "one callback per poll";
  EXPECT_EQ(seen.back(), states.back());
  EXPECT_EQ(poller.Outcome().status().code(), StatusCode::kOperationFailed);
  EXPECT_EQ(poller.Wait().status().code(), StatusCode::kOperationFailed);
  // A no-op once done.
  EXPECT_TRUE(poller.Poll().ok());
}

TEST(FakePollerTest, RecordsCancelAndStop) {
  FakePoller poller({StateOf("Running", 0), StateOf("Succeeded", 100)}, Result{});
  EXPECT_FALSE(poller.cancel_requested());
  EXPECT_FALSE(poller.stopped());
  EXPECT_TRUE(poller.Cancel().ok());
  EXPECT_TRUE(poller.cancel_requested());
  poller.Stop();
  EXPECT_TRUE(poller.stopped());
}

TEST(FakePollerTest, ResumeTokenDefaultAndCustom) {
  FakePoller a({StateOf("Succeeded", 100)}, Result{});
  auto t = a.ResumeToken();
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->find("\"resume-token\""), std::string::npos);
  FakePoller b({StateOf("Succeeded", 100)}, Result{}, "custom-token");
  EXPECT_EQ(b.ResumeToken().value(), "custom-token");
}

TEST(FakePollerTest, UsableThroughPollerLike) {
  FakePoller fake({StateOf("Running", 50), StateOf("Succeeded", 100)}, JsonResult("{}"));
  PollerLike& poller = fake;
  auto outcome = poller.Wait();
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->has_value);
  EXPECT_TRUE(poller.IsDone());
}

}  // namespace
}  // namespace lro::testing
