// Control over operations (SPEC §7): cancel and its races, idempotent creation, throttling,
// callers and their isolation, retention.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "lro/lro.h"
#include "lro/testing/fake_clock.h"
#include "server_test_support.h"
#include "wire/http_date.h"

namespace lro::server::test {
namespace {

std::string Create(Harness& h, int duration_ms, Headers headers = {}) {
  auto created = h.Send("POST", kItems, ItemBody("nb", duration_ms), std::move(headers));
  EXPECT_EQ(created.status, 202) << created.body;
  return Header(created, "x-ms-operation-id");
}

TEST(ServerControl, CancelStopsARunningOperation) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  const std::string id = Create(h, 60'000);
  auto canceled = h.Send("POST", "/v1/operations/" + id + ":cancel");
  EXPECT_EQ(canceled.status, 200);
  EXPECT_TRUE(ParseJson(canceled.body).as_object().contains("status"));
  auto state = WaitTerminal(h, id);
  // Fabric has no Canceled: Failed with OperationCanceled.
  EXPECT_EQ(state.at("status"), "Failed");
  EXPECT_EQ(state.at("error").at("errorCode"), "OperationCanceled");

  // DELETE on the monitor cancels too.
  const std::string other = Create(h, 60'000);
  EXPECT_EQ(h.Send("DELETE", "/v1/operations/" + other).status, 200);
  EXPECT_EQ(WaitTerminal(h, other).at("error").at("errorCode"), "OperationCanceled");
}

TEST(ServerControl, ClientCancelEndsWithOperationCanceled) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  Client client = h.MakeClient();
  Poller poller = client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb", 60'000)));
  ASSERT_FALSE(poller.IsDone()) << poller.Outcome().status().ToString();
  ASSERT_TRUE(poller.Cancel().ok());
  auto outcome = poller.Wait(Within(std::chrono::seconds(20)));
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationCanceled);
}

TEST(ServerControl, CancellingAFinishedOperationIsNotAnErrorAndChangesNothing) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  const std::string id = Create(h, 10);
  EXPECT_EQ(WaitTerminal(h, id).at("status"), "Succeeded");
  auto canceled = h.Send("POST", "/v1/operations/" + id + ":cancel");
  EXPECT_EQ(canceled.status, 200);
  EXPECT_EQ(ParseJson(canceled.body).at("status"), "Succeeded");
  EXPECT_EQ(h.Send("DELETE", "/v1/operations/" + id).status, 200);
  EXPECT_EQ(WaitTerminal(h, id).at("status"), "Succeeded");
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + id + "/result").status, 200);
}

TEST(ServerControl, CancelRacingCompletionEndsInExactlyOneTerminalState) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  std::vector<std::string> ids;
  ids.reserve(40);
  for (int i = 0; i < 40; ++i) ids.push_back(Create(h, i % 8));
  // Cancel each at a slightly different moment around its completion.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(h.Send("POST", "/v1/operations/" + ids[i] + ":cancel").status, 200);
  }
  int succeeded = 0;
  int canceled = 0;
  for (const auto& id : ids) {
    auto first = WaitTerminal(h, id);
    auto second = ParseJson(h.Send("GET", "/v1/operations/" + id).body).as_object();
    EXPECT_EQ(first, second);  // a terminal state never changes
    if (first.at("status") == "Succeeded") {
      ++succeeded;
      EXPECT_EQ(h.Send("GET", "/v1/operations/" + id + "/result").status, 200);
    } else {
      ++canceled;
      EXPECT_EQ(first.at("error").at("errorCode"), "OperationCanceled");
    }
  }
  EXPECT_EQ(succeeded + canceled, static_cast<int>(ids.size()));
}

TEST(ServerControl, IdempotencyKeyReplaysConflictsAndReportsInFlight) {
  TempDir dir;
  // A route whose work holds until the test releases it: the first request with the key is
  // in flight, answered inline (the budget outlasts any test), for as long as the test needs.
  std::atomic<int> runs{0};
  std::promise<void> arrived;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Harness h(Options(dir, std::chrono::hours(1)), false, [&](Server& server) {
    server.Route("POST", "/v1/gated", {.operation_type = "Gated"}, [&](const Request&) {
      return Reply::Start([&](WorkContext& context) {
        if (runs++ == 0) arrived.set_value();
        released.wait();
        return WorkResult::Json(R"({"id":")" + context.operation_id() + R"("})");
      });
    });
  });
  const Headers key{{"Idempotency-Key", "\"order-42\""}};
  const std::string body = R"({"displayName":"nb"})";
  HttpResponse first;
  std::thread creator([&] { first = h.Send("POST", "/v1/gated", body, key); });
  ASSERT_EQ(arrived.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);

  // While the first runs, the same key is told 409, retriable.
  const HttpResponse during = h.Send("POST", "/v1/gated", body, key);
  EXPECT_EQ(during.status, 409) << during.body;
  EXPECT_EQ(ParseJson(during.body).at("isRetriable"), true);
  release.set_value();
  creator.join();
  ASSERT_EQ(first.status, 201) << first.body;

  // Replayed: the same answer, the same operation, the work not run again.
  auto replay = h.Send("POST", "/v1/gated", body, key);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(ParseJson(replay.body).at("id"), ParseJson(first.body).at("id"));
  // Same key, other payload: 422.
  auto other = h.Send("POST", "/v1/gated", R"({"displayName":"different"})", key);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(ParseJson(other.body).at("errorCode"), "IdempotencyKeyReused");
  EXPECT_EQ(runs.load(), 1);
  auto list = ParseJson(h.Send("GET", "/v1/operations").body);
  EXPECT_EQ(list.at("value").as_array().size(), 1U);
}

TEST(ServerControl, RepeatabilityHeadersFollowOasis) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  const std::string now = wire::ImfFixdate(std::chrono::system_clock::now());
  const Headers headers{{"Repeatability-Request-ID", "5f0c3f0e-cd3b-4e5e-9d55-1f0a9b6c2f10"},
                        {"Repeatability-First-Sent", now}};
  auto first = h.Send("POST", kItems, ItemBody("nb", 60'000), headers);
  ASSERT_EQ(first.status, 202);
  EXPECT_EQ(Header(first, "Repeatability-Result"), "accepted");
  auto again = h.Send("POST", kItems, ItemBody("nb", 60'000), headers);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(Header(again, "Repeatability-Result"), "accepted");
  EXPECT_EQ(Header(again, "x-ms-operation-id"), Header(first, "x-ms-operation-id"));

  auto mismatch = h.Send("POST", kItems, ItemBody("other", 60'000), headers);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(Header(mismatch, "Repeatability-Result"), "rejected");
  auto no_date =
      h.Send("POST", kItems, ItemBody("nb", 60'000), {{"Repeatability-Request-ID", "abc"}});
  EXPECT_EQ(no_date.status, 400);
  EXPECT_EQ(Header(no_date, "Repeatability-Result"), "rejected");
  auto stale = h.Send("POST", kItems, ItemBody("nb", 60'000),
                      {{"Repeatability-Request-ID", "def"},
                       {"Repeatability-First-Sent", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(Header(stale, "Repeatability-Result"), "rejected");

  // The client adds them itself, so its retries of a POST are safe.
  Client client = h.MakeClient();
  OperationOptions options;
  options.add_repeatability_headers = true;
  auto outcome =
      client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb-client", 20)), options)
          .Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
}

TEST(ServerControl, OperationIdHeaderMakesCreationIdempotent) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  const Headers headers{{"Operation-Id", "my-op-1"}};
  auto first = h.Send("POST", kItems, ItemBody("nb", 60'000), headers);
  ASSERT_EQ(first.status, 202);
  auto again = h.Send("POST", kItems, ItemBody("nb", 60'000), headers);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(Header(again, "x-ms-operation-id"), Header(first, "x-ms-operation-id"));
  auto reused = h.Send("POST", kItems, ItemBody("other", 60'000), headers);
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(ParseJson(reused.body).at("errorCode"), "OperationIdReused");
}

TEST(ServerControl, IdempotencyKeysSurviveARestart) {
  TempDir dir;
  std::string first_id;
  const Headers key{{"Idempotency-Key", "restart-key"}};
  {
    Harness h(Options(dir, std::chrono::milliseconds(0)));
    auto first = h.Send("POST", kItems, ItemBody("nb", 20), key);
    ASSERT_EQ(first.status, 202);
    first_id = Header(first, "x-ms-operation-id");
    WaitTerminal(h, first_id);
  }
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  auto replay = h.Send("POST", kItems, ItemBody("nb", 20), key);
  EXPECT_EQ(replay.status, 201);  // it has succeeded since: the replay carries the result
  EXPECT_EQ(h.Send("POST", kItems, ItemBody("changed", 20), key).status, 422);
}

TEST(ServerControl, ThrottlingAnswers429WithRetryAfterWithoutTouchingOthers) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.rate_limit = 0.001;  // one token per ~17 minutes: the test never refills
  options.rate_burst = 2;
  options.bearer_tokens = {{"token-alice-123", "alice"}, {"token-bob-4567", "bob"}};
  Harness h(options);
  const Headers alice{{"Authorization", "Bearer token-alice-123"}};
  EXPECT_EQ(h.Send("GET", "/v1/operations", "", alice).status, 200);
  EXPECT_EQ(h.Send("GET", "/v1/operations", "", alice).status, 200);
  auto throttled = h.Send("POST", kItems, ItemBody("nb", 10), alice);
  ASSERT_EQ(throttled.status, 429);
  const std::string retry_after = Header(throttled, "Retry-After");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_TRUE(std::all_of(retry_after.begin(), retry_after.end(), ::isdigit));
  EXPECT_GE(std::stoi(retry_after), 1);
  auto error = ParseJson(throttled.body).as_object();
  EXPECT_EQ(error.at("isRetriable"), true);
  EXPECT_EQ(error.at("errorCode"), "TooManyRequests");
  // Nothing was created for alice; bob is not affected.
  EXPECT_EQ(
      h.Send("GET", "/v1/operations", "", {{"Authorization", "Bearer token-bob-4567"}}).status,
      200);
  auto metrics = h.Send("GET", "/metrics");
  EXPECT_NE(metrics.body.find("lrod_throttled_requests_total 1"), std::string::npos);
}

TEST(ServerControl, CallersSeeOnlyTheirOwnOperations) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.bearer_tokens = {{"token-alice-123", "alice"}, {"token-bob-4567", "bob"}};
  Harness h(options);
  const Headers alice{{"Authorization", "Bearer token-alice-123"}};
  const Headers bob{{"Authorization", "Bearer token-bob-4567"}};

  EXPECT_EQ(h.Send("POST", kItems, ItemBody("nb", 10)).status, 401);
  auto bad = h.Send("GET", "/v1/operations", "", {{"Authorization", "Bearer nope-nope"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(Header(bad, "WWW-Authenticate"), "Bearer");

  const std::string id = Create(h, 60'000, alice);
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + id, "", alice).status, 200);
  const std::string theirs_path = "/v1/operations/" + id;
  const std::string nobodys_path = "/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11";
  for (const std::string suffix : {"", "/result"}) {
    auto theirs = h.Send("GET", theirs_path + suffix, "", bob);
    auto nobodys = h.Send("GET", nobodys_path + suffix, "", bob);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.status, nobodys.status);
    auto a = ParseJson(theirs.body).as_object();
    auto b = ParseJson(nobodys.body).as_object();
    a.erase("requestId");
    b.erase("requestId");
    EXPECT_EQ(a, b);  // no existence leak
  }
  EXPECT_EQ(h.Send("POST", "/v1/operations/" + id + ":cancel", "", bob).status, 404);
  EXPECT_EQ(h.Send("DELETE", "/v1/operations/" + id, "", bob).status, 404);
  EXPECT_EQ(ParseJson(h.Send("GET", "/v1/operations", "", bob).body).at("value").as_array().size(),
            0U);
  EXPECT_EQ(
      ParseJson(h.Send("GET", "/v1/operations", "", alice).body).at("value").as_array().size(), 1U);
  // Not canceled: bob's cancel did nothing.
  auto state = ParseJson(h.Send("GET", "/v1/operations/" + id, "", alice).body);
  EXPECT_TRUE(state.at("status") == "Running" || state.at("status") == "NotStarted")
      << state.at("status");

  // The client with a credential provider works end to end.
  Client client = h.MakeClient("token-alice-123");
  auto outcome = client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb", 20))).Wait();
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
}

TEST(ServerControl, FinishedOperationsExpireAfterRetention) {
  TempDir dir;
  auto clock = std::make_shared<lro::testing::FakeClock>();
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.clock = clock;
  Harness h(options);
  const std::string done = Create(h, 0);  // no step waits on the clock, which only the test moves
  const std::string running = Create(h, 3'600'000);
  EXPECT_EQ(WaitTerminal(h, done).at("status"), "Succeeded");

  clock->Advance(std::chrono::hours(23));
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + done).status, 200);
  EXPECT_EQ(h.server().PurgeExpired(), 0U);

  clock->Advance(std::chrono::hours(2));
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + done).status, 404);
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + done + "/result").status, 404);
  EXPECT_EQ(h.server().PurgeExpired(), 1U);
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + done).status, 404);
  // A running operation never expires.
  EXPECT_EQ(h.Send("GET", "/v1/operations/" + running).status, 200);
  auto list = ParseJson(h.Send("GET", "/v1/operations").body);
  ASSERT_EQ(list.at("value").as_array().size(), 1U);
  EXPECT_EQ(Str(list.at("value").as_array()[0].at("id")), running);
}

}  // namespace
}  // namespace lro::server::test
