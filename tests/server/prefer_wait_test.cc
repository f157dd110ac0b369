// lrod's Prefer: wait extension (RFC 7240) over real HTTP: a state read is held until the
// operation's state changes or the wait passes, capped by ServerOptions::max_wait.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "lro/engine.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

// A demo operation that neither progresses nor ends by itself for ten minutes, once it runs
// (its start, NotStarted -> Running, is a state change too).
std::string StartIdleOperation(Harness& h) {
  auto raw = h.Send("POST", kItems, ItemBody("idle", 600'000, R"("progressSteps":0)"), {});
  EXPECT_EQ(raw.status, 202) << raw.body;
  std::string id = Header(raw, "x-ms-operation-id");
  const auto deadline = steady_clock::now() + seconds(30);
  while (steady_clock::now() < deadline) {
    auto state = h.Send("GET", "/v1/operations/" + id);
    if (state.status != 200 || Str(ParseJson(state.body).at("status")) == "Running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return id;
}

// Sends GET /v1/operations/{id} with `prefer` on another thread.
std::future<HttpResponse> GetAsync(Harness& h, const std::string& id, const std::string& prefer) {
  return std::async(std::launch::async, [&h, id, prefer] {
    Headers headers;
    if (!prefer.empty()) headers.push_back({"Prefer", prefer});
    return h.Send("GET", "/v1/operations/" + id, "", headers);
  });
}

// Waits (30 s at most) until lrod reports `count` held requests.
bool WaitUntilHeld(Harness& h, int count) {
  const std::string line = "\nlrod_requests_waiting " + std::to_string(count) + "\n";
  const auto deadline = steady_clock::now() + seconds(30);
  while (steady_clock::now() < deadline) {
    if (h.Send("GET", "/metrics").body.find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

HttpResponse Await(std::future<HttpResponse>& reply) {
  if (reply.wait_for(seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "the held request was not answered within 30 s";
    return HttpResponse{};
  }
  return reply.get();
}

ServerOptions WaitOptions(const TempDir& dir, seconds max_wait) {
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.max_wait = max_wait;
  return options;
}

TEST(PreferWait, AStateChangeAnswersTheHeldRequestWithTheNewState) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  auto reply = GetAsync(h, id, "wait=600");
  ASSERT_TRUE(WaitUntilHeld(h, 1));

  auto cancel = h.Send("POST", "/v1/operations/" + id + ":cancel");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  HttpResponse held = Await(reply);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Header(held, "Preference-Applied"), "wait=600");
  auto state = ParseJson(held.body).as_object();
  EXPECT_EQ(Str(state.at("status")), "Failed");
  EXPECT_EQ(Str(state.at("error").at("errorCode")), "OperationCanceled");
  EXPECT_FALSE(Header(held, "RequestId").empty());
  EXPECT_TRUE(WaitUntilHeld(h, 0));
}

TEST(PreferWait, TheWaitPassingAnswersTheUnchangedState) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  const auto before = h.Send("GET", "/v1/operations/" + id);
  ASSERT_EQ(before.status, 200);

  const auto sent = steady_clock::now();
  auto reply = GetAsync(h, id, "wait=1");
  HttpResponse held = Await(reply);
  EXPECT_GE(steady_clock::now() - sent, seconds(1));  // a deadline never fires early
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Header(held, "Preference-Applied"), "wait=1");
  EXPECT_EQ(held.body, before.body);
  EXPECT_EQ(Header(held, "Location"), Header(before, "Location"));
  EXPECT_EQ(Header(held, "Retry-After"), Header(before, "Retry-After"));
}

TEST(PreferWait, TheWaitIsCappedByMaxWait) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(1)));
  const std::string id = StartIdleOperation(h);
  const auto sent = steady_clock::now();
  auto reply = GetAsync(h, id, "respond-async, wait=3600");
  HttpResponse held = Await(reply);
  EXPECT_GE(steady_clock::now() - sent, seconds(1));
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Header(held, "Preference-Applied"), "wait=1");
  EXPECT_EQ(Str(ParseJson(held.body).at("status")), "Running");
}

TEST(PreferWait, AHoldLongerThanTheIdleTimeoutIsAnsweredOnItsConnection) {
  TempDir dir;
  ServerOptions options = WaitOptions(dir, seconds(600));
  options.idle_timeout = std::chrono::milliseconds(300);
  Harness h(options);
  const std::string id = StartIdleOperation(h);
  auto reply = GetAsync(h, id, "wait=2");
  HttpResponse held = Await(reply);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Header(held, "Preference-Applied"), "wait=2");
  EXPECT_EQ(Str(ParseJson(held.body).at("status")), "Running");
}

TEST(PreferWait, WithoutTheHeaderOrWithAnUnusableOneTheStateIsAnsweredAtOnce) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  // Were any of these held, it would be for 600 s: Await's 30 s bound would fail first.
  for (const char* prefer : {"", "wait=abc", "wait=-1", "wait=0", "wait", "return=minimal"}) {
    auto reply = GetAsync(h, id, prefer);
    HttpResponse answer = Await(reply);
    EXPECT_EQ(answer.status, 200) << prefer;
    EXPECT_TRUE(Header(answer, "Preference-Applied").empty()) << prefer;
  }
  EXPECT_TRUE(WaitUntilHeld(h, 0));
}

TEST(PreferWait, MaxWaitZeroIgnoresThePreference) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(0)));
  const std::string id = StartIdleOperation(h);
  auto reply = GetAsync(h, id, "wait=600");
  HttpResponse answer = Await(reply);
  EXPECT_EQ(answer.status, 200);
  EXPECT_TRUE(Header(answer, "Preference-Applied").empty());
}

TEST(PreferWait, AFinishedOperationIsAnsweredAtOnceAndAnUnknownOneIs404) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  auto raw = h.Send("POST", kItems, ItemBody("quick", 10), {});
  ASSERT_EQ(raw.status, 202) << raw.body;
  const std::string id = Header(raw, "x-ms-operation-id");
  WaitTerminal(h, id);

  auto reply = GetAsync(h, id, "wait=600");
  HttpResponse answer = Await(reply);
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(Str(ParseJson(answer.body).at("status")), "Succeeded");
  EXPECT_EQ(Header(answer, "Preference-Applied"), "wait=600");

  auto unknown = GetAsync(h, "00000000-0000-4000-8000-000000000000", "wait=600");
  HttpResponse missing = Await(unknown);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Header(missing, "Preference-Applied").empty());
}

TEST(PreferWait, AnotherCallersOperationIsNotHeldButNotFound) {
  TempDir dir;
  ServerOptions options = WaitOptions(dir, seconds(600));
  options.bearer_tokens = {{"token-a", "alice"}, {"token-b", "bob"}};
  Harness h(options);
  auto raw = h.Send("POST", kItems, ItemBody("alice's", 600'000, R"("progressSteps":0)"),
                    {{"Authorization", "Bearer token-a"}});
  ASSERT_EQ(raw.status, 202) << raw.body;
  auto reply = std::async(std::launch::async, [&h, id = Header(raw, "x-ms-operation-id")] {
    return h.Send("GET", "/v1/operations/" + id, "",
                  {{"Authorization", "Bearer token-b"}, {"Prefer", "wait=600"}});
  });
  HttpResponse answer = Await(reply);
  EXPECT_EQ(answer.status, 404);
}

TEST(PreferWait, StoppingTheServerAnswersHeldRequests) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  auto reply = GetAsync(h, id, "wait=600");
  ASSERT_TRUE(WaitUntilHeld(h, 1));
  std::thread stop([&h] { h.server().Stop(); });
  HttpResponse held = Await(reply);
  stop.join();
  EXPECT_EQ(held.status, 200);
  EXPECT_EQ(Header(held, "Preference-Applied"), "wait=600");
}

TEST(PreferWait, ManyHeldRequestsOnOneIoThreadAreAllWokenByOneChange) {
  TempDir dir;
  ServerOptions options = WaitOptions(dir, seconds(600));
  options.io_threads = 1;
  Harness h(options);
  const std::string id = StartIdleOperation(h);
  constexpr int kHeld = 50;
  std::vector<std::future<HttpResponse>> replies;
  replies.reserve(kHeld);
  for (int i = 0; i < kHeld; ++i) replies.push_back(GetAsync(h, id, "wait=600"));
  // All held at once on the single I/O thread: waiting costs no thread.
  ASSERT_TRUE(WaitUntilHeld(h, kHeld));
  ASSERT_EQ(h.Send("DELETE", "/v1/operations/" + id).status, 200);
  for (auto& reply : replies) {
    HttpResponse held = Await(reply);
    EXPECT_EQ(held.status, 200);
    EXPECT_EQ(Str(ParseJson(held.body).at("status")), "Failed");
  }
}

// How many state reads lrod has answered (its request-duration histogram's count).
long StateReads(Harness& h) {
  const std::string metrics = h.Send("GET", "/metrics").body;
  const std::string key = "lrod_http_request_duration_seconds_count{endpoint=\"state\"} ";
  const auto at = metrics.find(key);
  if (at == std::string::npos) return 0;
  return std::stol(metrics.substr(at + key.size()));
}

// The client's side: an automatic wait asks Prefer: wait and learns the end from the held
// poll, without polling again. One idle operation, watched by URL; it ends only when the test
// cancels it, after lrod reports the client's poll held.
TEST(PreferWait, TheBlockingClientsWaitIsOneHeldPoll) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  const long reads_before = StateReads(h);

  Client client;
  auto poller = client.Watch(h.Url("/v1/operations/" + id));
  ASSERT_TRUE(poller.ok()) << poller.status().message();
  auto outcome = std::async(std::launch::async, [&poller] { return poller->Wait(); });
  ASSERT_TRUE(WaitUntilHeld(h, 1));
  // The poller's accessors read a snapshot: they never wait for the held poll (30 s).
  const auto token = poller->ResumeToken();
  EXPECT_TRUE(token.ok() && token->find(id) != std::string::npos);
  EXPECT_EQ(StateReads(h) - reads_before, 0);  // the held poll is still unanswered
  ASSERT_EQ(h.Send("POST", "/v1/operations/" + id + ":cancel").status, 200);
  ASSERT_EQ(outcome.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(outcome.get().ok());  // cancelled: it ended, and not well
  EXPECT_EQ(StateReads(h) - reads_before, 1);
}

TEST(PreferWait, TheEnginesWaitIsOneHeldPoll) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string id = StartIdleOperation(h);
  const long reads_before = StateReads(h);

  Client client;
  auto operation = client.WatchAsync(h.Url("/v1/operations/" + id));
  ASSERT_TRUE(operation.ok()) << operation.status().message();
  ASSERT_TRUE(WaitUntilHeld(h, 1));
  ASSERT_EQ(h.Send("POST", "/v1/operations/" + id + ":cancel").status, 200);
  auto outcome = operation->Future();
  ASSERT_EQ(outcome.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(outcome.get().ok());  // cancelled: it ended, and not well
  EXPECT_EQ(StateReads(h) - reads_before, 1);
}

TEST(PreferWait, TheEngineHoldsNoMorePollsThanItsLimit) {
  TempDir dir;
  Harness h(WaitOptions(dir, seconds(600)));
  const std::string first = StartIdleOperation(h);
  const std::string second = StartIdleOperation(h);

  EngineOptions engine_options;
  engine_options.max_held_polls = 1;
  ClientOptions options;
  options.engine = std::make_shared<Engine>(engine_options);
  options.polling = PollingPolicy::Fixed(std::chrono::milliseconds(50));
  Client client(options);
  auto held = client.WatchAsync(h.Url("/v1/operations/" + first));
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(WaitUntilHeld(h, 1));
  // The second operation's polls ask for an answer at once: it is polled, not held, and
  // learns its end from an ordinary poll.
  auto polled = client.WatchAsync(h.Url("/v1/operations/" + second));
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(h.Send("POST", "/v1/operations/" + second + ":cancel").status, 200);
  auto second_outcome = polled->Future();
  ASSERT_EQ(second_outcome.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(second_outcome.get().ok());
  EXPECT_TRUE(WaitUntilHeld(h, 1));  // the first one is still held
  held->Stop();
}

}  // namespace
}  // namespace lro::server::test
