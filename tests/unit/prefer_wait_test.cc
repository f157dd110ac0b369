// Waiting without polling (lrod's `Prefer: wait`, RFC 7240) on the client side: when a poll
// asks to be held, when it stops asking, and how Retry-After still bounds how often the client
// asks. A held answer is simulated by moving the fake clock inside the transport.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lro/client.h"
#include "lro/poller.h"
#include "lro/testing/fake_clock.h"
#include "lro/testing/scripted_transport.h"
#include "scenario.h"

namespace lro::test {
namespace {

const std::string kItems = std::string(kFabric) + "/v1/workspaces/ws1/items";
const std::string kOp = std::string(kFabric) + "/v1/operations/op1";

// One answer of the scripted service: the response, and how long the service held the request
// before answering (the fake clock moves by that much while the request is in flight).
struct Answer {
  HttpResponse response;
  std::chrono::milliseconds held{0};
};

HttpResponse Accepted(int retry_after_seconds) {
  return Resp(202, {{"Location", kOp},
                    {"x-ms-operation-id", "op1"},
                    {"Retry-After", std::to_string(retry_after_seconds)}});
}

HttpResponse State(const std::string& status, int retry_after_seconds, bool applied,
                   int percent = 0) {
  Headers headers{{"Retry-After", std::to_string(retry_after_seconds)}};
  if (applied) headers.push_back({"Preference-Applied", "wait=30"});
  return Json(200,
              R"({"status":")" + status + R"(","percentComplete":)" + std::to_string(percent) + "}",
              std::move(headers));
}

// A client on a transport that answers `answers` in order, holding each as it says.
class PreferWaitTest : public ::testing::Test {
 protected:
  void Serve(const std::vector<Answer>& answers, const ClientOptions& options = {}) {
    auto queue = std::make_shared<std::deque<Answer>>(answers.begin(), answers.end());
    clock_ = std::make_shared<lro::testing::FakeClock>();
    transport_ = std::make_shared<lro::testing::ScriptedTransport>(
        [queue, clock = clock_](const HttpRequest&) -> StatusOr<HttpResponse> {
          if (queue->empty()) return Status(StatusCode::kInternal, "script exhausted");
          Answer next = std::move(queue->front());
          queue->pop_front();
          clock->Advance(next.held);
          return next.response;
        });
    ClientOptions defaults = MakeOptions(transport_, clock_);
    defaults.curl = options.curl;
    if (options.polling != PollingPolicy{}) defaults.polling = options.polling;
    client_.emplace(std::move(defaults));
  }

  StatusOr<Result> StartAndWait() {
    Poller poller = client_->Start(Request("POST", kItems).Header("Idempotency-Key", "k1"));
    return poller.Wait();
  }

  // The Prefer header of request `index`, or "" when it has none.
  std::string PreferOf(std::size_t index) const {
    const auto requests = transport_->requests();
    if (index >= requests.size()) return "(no request " + std::to_string(index) + ")";
    const auto value = FindHeader(requests[index].headers, "Prefer");
    return value ? std::string(*value) : std::string();
  }

  std::shared_ptr<lro::testing::FakeClock> clock_;
  std::shared_ptr<lro::testing::ScriptedTransport> transport_;
  std::optional<Client> client_;
};

TEST_F(PreferWaitTest, AsksOnTheFirstPollAndKeepsAskingWhileTheServerHolds) {
  Serve({{Accepted(2)},
         {State("Running", 2, true), std::chrono::seconds(30)},  // held until its timeout
         {State("Succeeded", 2, true), std::chrono::seconds(7)}});
  ASSERT_TRUE(StartAndWait().ok());
  EXPECT_EQ(PreferOf(0), "");  // never on the request that starts the operation
  EXPECT_EQ(PreferOf(1), "wait=30");
  EXPECT_EQ(PreferOf(2), "wait=30");
  // The first poll waited for Retry-After; the second went at once: the held poll had already
  // taken longer than Retry-After.
  std::vector<std::chrono::milliseconds> slept;
  for (auto sleep : clock_->sleeps()) {
    if (sleep.count() > 0) slept.push_back(sleep);
  }
  EXPECT_EQ(slept, std::vector<std::chrono::milliseconds>{std::chrono::seconds(2)});
}

TEST_F(PreferWaitTest, AnAnswerOnAChangeWaitsOutTheRestOfRetryAfter) {
  // Retry-After: 5; the held poll is answered after 2 s because progress moved: the next poll
  // waits the 3 s left, so the client never asks more often than Retry-After says.
  Serve({{Accepted(5)},
         {State("Running", 5, true, 40), std::chrono::seconds(2)},
         {State("Succeeded", 5, true, 100), std::chrono::seconds(1)}});
  ASSERT_TRUE(StartAndWait().ok());
  std::vector<std::chrono::milliseconds> slept;
  for (auto sleep : clock_->sleeps()) {
    if (sleep.count() > 0) slept.push_back(sleep);
  }
  EXPECT_EQ(slept, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(5),
                                                           std::chrono::seconds(3)}));
}

TEST_F(PreferWaitTest, AServerThatDoesNotHoldIsPolledAsUsual) {
  Serve({{Accepted(2)}, {State("Running", 2, false)}, {State("Succeeded", 2, false)}});
  ASSERT_TRUE(StartAndWait().ok());
  EXPECT_EQ(PreferOf(1), "wait=30");  // asked once
  EXPECT_EQ(PreferOf(2), "");         // and never again: no Preference-Applied came back
  std::vector<std::chrono::milliseconds> slept;
  for (auto sleep : clock_->sleeps()) {
    if (sleep.count() > 0) slept.push_back(sleep);
  }
  EXPECT_EQ(slept, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(2),
                                                           std::chrono::seconds(2)}));
}

TEST_F(PreferWaitTest, ATransientAnswerDecidesNothing) {
  // A 503 from a proxy carries no Preference-Applied: the retry still asks.
  Serve({{Accepted(0)},
         {Resp(503, {{"Retry-After", "0"}})},
         {State("Running", 0, true)},
         {State("Succeeded", 0, true)}});
  ASSERT_TRUE(StartAndWait().ok());
  EXPECT_EQ(PreferOf(1), "wait=30");
  EXPECT_EQ(PreferOf(2), "wait=30");
  EXPECT_EQ(PreferOf(3), "wait=30");
}

TEST_F(PreferWaitTest, AManualPollNeverAsks) {
  Serve({{Accepted(0)}, {State("Running", 0, true)}});
  Poller poller = client_->Start(Request("POST", kItems).Header("Idempotency-Key", "k1"));
  ASSERT_TRUE(poller.Poll().ok());  // the start
  ASSERT_TRUE(poller.Poll().ok());  // one poll, answered at once
  EXPECT_EQ(PreferOf(1), "");
}

TEST_F(PreferWaitTest, ZeroNeverAsks) {
  ClientOptions options;
  options.polling = TestPolling();
  options.polling.prefer_wait = std::chrono::seconds(0);
  Serve({{Accepted(0)}, {State("Succeeded", 0, false)}}, options);
  ASSERT_TRUE(StartAndWait().ok());
  EXPECT_EQ(PreferOf(1), "");
}

TEST_F(PreferWaitTest, TheWaitAskedForEndsWellBeforeTheTransportGivesUp) {
  ClientOptions options;
  options.curl.request_timeout = std::chrono::seconds(20);
  Serve({{Accepted(0)}, {State("Succeeded", 0, false)}}, options);
  ASSERT_TRUE(StartAndWait().ok());
  EXPECT_EQ(PreferOf(1), "wait=10");
}

}  // namespace
}  // namespace lro::test
