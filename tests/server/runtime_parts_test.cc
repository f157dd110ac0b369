// The runtime's small parts: executor limits, timers, throttling, ids, time text, routing and
// the rendering of states.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <set>
#include <thread>

#include "api/rendering.h"
#include "common/json_text.h"
#include "common/time_text.h"
#include "lro/testing/fake_clock.h"
#include "runtime/executor.h"
#include "runtime/ids.h"
#include "runtime/router.h"
#include "runtime/throttle.h"
#include "runtime/timer_queue.h"
#include "server_test_support.h"

namespace lro::server::internal {
namespace {

TEST(Executor, NeverRunsMoreThanTheLimitOfAClass) {
  Executor executor(6);
  const int limited = executor.AddClass(2);
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> done{0};
  std::promise<void> all;
  for (int i = 0; i < 12; ++i) {
    executor.Submit(limited, [&] {
      const int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --running;
      if (++done == 12) all.set_value();
    });
  }
  all.get_future().wait();
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(executor.queued(), 0U);
}

TEST(Executor, StopDropsQueuedTasks) {
  Executor executor(1);
  std::promise<void> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> ran{0};
  executor.Submit(0, [&] {
    started.set_value();
    released.wait();
    ++ran;
  });
  started.get_future().wait();
  for (int i = 0; i < 5; ++i) executor.Submit(0, [&] { ++ran; });
  ASSERT_EQ(executor.queued(), 5U);
  // The running task ends only once Stop has dropped the queue (nothing else empties it: the
  // one worker is busy), so no queued task can slip in between.
  std::thread releaser([&] {
    while (executor.queued() != 0) std::this_thread::yield();
    release.set_value();
  });
  EXPECT_TRUE(executor.Stop(std::chrono::seconds(30)));
  releaser.join();
  EXPECT_EQ(ran, 1);
  executor.Submit(0, [&] { ++ran; });  // after Stop: dropped
  EXPECT_EQ(executor.queued(), 0U);
}

TEST(TimerQueue, RunsInDeadlineOrderAndHonoursCancelAndRunNow) {
  TimerQueue timers;
  std::mutex mutex;
  std::vector<int> order;
  auto record = [&](int n) {
    std::lock_guard lock(mutex);
    order.push_back(n);
  };
  // The queue's thread is held in a first callback while the others are set up, so what runs
  // when depends on deadlines only, never on how fast this thread gets to the next line.
  std::promise<void> holding;
  std::promise<void> release;
  timers.After(std::chrono::milliseconds(0), [&] {
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  const auto now = std::chrono::steady_clock::now();
  timers.At(now - std::chrono::seconds(10), [&] { record(2); });
  timers.At(now - std::chrono::seconds(20), [&] { record(1); });
  const auto cancelled = timers.At(now - std::chrono::seconds(30), [&] { record(99); });
  std::promise<void> last;
  const auto hurried = timers.After(std::chrono::hours(1), [&] {
    record(3);
    last.set_value();
  });
  const auto never = timers.After(std::chrono::hours(2), [&] { record(98); });
  EXPECT_TRUE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.RunNow(cancelled));
  EXPECT_TRUE(timers.RunNow(hurried));  // now: after the two already overdue
  release.set_value();
  last.get_future().wait();
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  }
  EXPECT_EQ(timers.size(), 1U);
  EXPECT_TRUE(timers.Cancel(never));
}

TEST(Throttle, AllowsTheBurstThenSaysHowLongToWait) {
  Throttle throttle(2.0, 3.0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(throttle.Take("alice", t0));
  EXPECT_FALSE(throttle.Take("alice", t0));
  EXPECT_FALSE(throttle.Take("alice", t0));
  auto wait = throttle.Take("alice", t0);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 1);
  EXPECT_FALSE(throttle.Take("bob", t0));  // buckets are per caller
  EXPECT_FALSE(throttle.Take("alice", t0 + std::chrono::milliseconds(600)));  // refilled
  EXPECT_FALSE(Throttle(0, 0).enabled());
}

TEST(Ids, OperationIdsAreDistinctUuidV4) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = NewOperationId();
    EXPECT_TRUE(test::IsUuidV4(id)) << id;
    EXPECT_TRUE(IsCanonicalUuid(id));
    EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_TRUE(test::IsUuidV4(NewRequestId()));
  EXPECT_FALSE(IsCanonicalUuid("not-a-uuid"));
  EXPECT_FALSE(IsCanonicalUuid("72522613-0B0E-4EA0-8CE0-B1A9735C8847"));
}

TEST(TimeText, FormatsIso8601) {
  EXPECT_EQ(Iso8601(1'699'914'280'477), "2023-11-13T22:24:40.477Z");
  // HTTP-dates and durations: tests/unit/wire_test.cc.
}

TEST(Router, MatchesLiteralsAndParametersAndTellsWrongMethodApart) {
  Router router;
  router.Add("POST", "/v1/workspaces/{ws}/items", {.operation_type = "Item.Create"}, {});
  router.Add("GET", "/v1/workspaces/{ws}/items/{id}", {}, {});
  auto found = router.Find("GET", "/v1/workspaces/w1/items/i9");
  ASSERT_EQ(found.kind, Router::MatchKind::kFound);
  EXPECT_EQ(found.params.at("ws"), "w1");
  EXPECT_EQ(found.params.at("id"), "i9");
  EXPECT_EQ(router.Find("GET", "/v1/workspaces/w1/items").kind, Router::MatchKind::kWrongMethod);
  EXPECT_EQ(router.Find("GET", "/v1/workspaces//items/x").kind, Router::MatchKind::kNoPath);
  EXPECT_EQ(router.Find("GET", "/v2/x").kind, Router::MatchKind::kNoPath);
  EXPECT_NE(router.ByType("Item.Create"), nullptr);
}

TEST(Snapshot, FabricStateBodyHasExactlyTheFieldsOfSpecSection2) {
  Snapshot s;
  s.id = "72522613-0b0e-4ea0-8ce0-b1a9735c8847";
  s.status = OperationStatus::kRunning;
  s.percent_complete = 25;
  s.created_ms = 1'699'914'280'477;
  s.updated_ms = 1'699'914'281'532;
  s.retry_after_s = 3;
  RenderSnapshot({Mode::kFabric, "https://api.example.com"}, s);
  EXPECT_EQ(
      s.body,
      R"({"status":"Running","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
      R"("lastUpdatedTimeUtc":"2023-11-13T22:24:41.532Z","percentComplete":25,"error":null})");
  EXPECT_NE(s.headers.find("Location: https://api.example.com/v1/operations/" + s.id),
            std::string::npos);
  EXPECT_NE(s.headers.find("Retry-After: 3"), std::string::npos);

  s.status = OperationStatus::kCanceled;
  s.error = ErrorInfo{"OperationCanceled", "canceled", {}, false};
  RenderSnapshot({Mode::kFabric, "https://api.example.com"}, s);
  EXPECT_NE(s.body.find(R"("status":"Failed")"), std::string::npos);
  EXPECT_EQ(s.headers.find("Location"), std::string::npos);
  EXPECT_EQ(s.headers.find("Retry-After"), std::string::npos);
  RenderSnapshot({Mode::kAzure, "https://api.example.com"}, s);
  EXPECT_NE(s.body.find(R"("status":"Canceled")"), std::string::npos);
  EXPECT_NE(s.body.find(R"("error":{"code":"OperationCanceled")"), std::string::npos);
}

// Found by fuzz_lrod_request: a handler's message echoing request bytes that are not UTF-8
// made error bodies invalid JSON (RFC 8259 §8.1).
TEST(JsonText, StringsAreValidUtf8WhateverTheyWereGiven) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain \"quoted\"\n", R"("plain \"quoted\"\n")"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"fconfli\xff\x63t", "\"fconfli\\ufffdct\""},              // \x63 is c
      {"\xc3", "\"\\ufffd\""},                                   // cut short
      {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                        // overlong
      {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},             // a surrogate
      {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},  // beyond U+10FFFF
      {"\x80\x78", "\"\\ufffdx\""},                              // \x78 is x
  };
  for (const auto& [text, expected] : cases) {
    std::string out;
    AppendJsonString(out, text);
    EXPECT_EQ(out, expected);
    boost::system::error_code ec;
    boost::json::parse(out, ec);
    EXPECT_FALSE(ec) << out;
  }
}

// Found by fuzz_lrod_request: a handler's "JSON" result that is not JSON was inlined verbatim,
// making the Azure monitor body itself invalid JSON.
TEST(Snapshot, AzureInlinesOnlyAResultThatIsJsonAndLinksAnyOther) {
  Snapshot s;
  s.id = "72522613-0b0e-4ea0-8ce0-b1a9735c8847";
  s.status = OperationStatus::kSucceeded;
  s.has_result = true;
  s.result = std::make_shared<const ResultData>(ResultData{"application/json", R"({"a":[1,2]})"});
  RenderSnapshot({Mode::kAzure, "https://api.example.com"}, s);
  EXPECT_NE(s.body.find(R"("result":{"a":[1,2]})"), std::string::npos) << s.body;

  for (const char* not_json : {R"(j{"displayName":"ion)", "{} {}", "[1,", "nul"}) {
    s.result = std::make_shared<const ResultData>(ResultData{"application/json", not_json});
    RenderSnapshot({Mode::kAzure, "https://api.example.com"}, s);
    boost::system::error_code ec;
    const auto body = boost::json::parse(s.body, ec);
    ASSERT_FALSE(ec) << s.body;
    EXPECT_FALSE(body.as_object().contains("result")) << s.body;
    EXPECT_EQ(body.at("resourceLocation"),
              "https://api.example.com/v1/operations/72522613-0b0e-4ea0-8ce0-b1a9735c8847/result");
  }
}

}  // namespace
}  // namespace lro::server::internal
