// Poller::State(), IsDone() and Outcome() read a snapshot: they answer at once while a request
// of the same operation is in flight on another thread (issue 12, section 2).
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "lro/client.h"
#include "lro/poller.h"
#include "lro/request.h"
#include "test_util.h"

namespace lro::test {
namespace {

TEST(PollerSnapshotTest, AccessorsDoNotWaitForARequestInFlight) {
  RoutedServer s;
  Gate gate;
  s.routes.On("PUT", "/widgets/w", [&s](const HttpRequest&, int) {
    return HttpResponse{201, {{"Operation-Location", s.routes.base() + "/ops/1"}}, {}};
  });
  s.routes.On("GET", "/ops/1", [&gate](const HttpRequest&, int) {
    gate.Pass();
    return JsonResponse(200, R"({"status":"Succeeded","result":{"ok":true}})");
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Put(s.base() + "/widgets/w").Json("{}"));
  ASSERT_FALSE(poller.IsDone());

  Status polled;
  std::thread polling([&] { polled = poller.Poll(); });
  ASSERT_TRUE(gate.AwaitArrivals(1));
  // The poll is held in the server: every accessor answers from what is known.
  EXPECT_FALSE(poller.IsDone());
  EXPECT_EQ(poller.State().status.raw, "");
  EXPECT_EQ(poller.Outcome().status().code(), StatusCode::kFailedPrecondition);
  gate.Open();
  polling.join();
  EXPECT_FALSE(gate.timed_out());
  ASSERT_TRUE(polled.ok()) << polled.ToString();
  ASSERT_TRUE(poller.IsDone());
  auto outcome = poller.Outcome();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"ok":true})");
}

}  // namespace
}  // namespace lro::test
