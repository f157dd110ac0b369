// Google's long-running operations (AIP-151) over real HTTP: an in-process service answering
// a call with an Operation resource, polled at {version prefix}/{name} until done.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "lro/client.h"
#include "lro/poller.h"
#include "lro/request.h"
#include "test_util.h"

namespace lro::test {
namespace {

using ::testing::HasSubstr;

// POST /v1beta1/projects/p/instances starts operation `name` (not done, 10%); GET
// /v1beta1/{name} says not done `running` times (50%), then `end`; POST …:cancel is accepted
// and makes the next poll answer CANCELLED.
struct GoogleService {
  RoutedServer s;
  std::string name = "projects/p/locations/l/operations/op-1";
  std::string end = R"("response":{"@type":"type.googleapis.com/x.Instance","name":"i"})";
  int running = 1;
  std::atomic<bool> canceled{false};

  GoogleService() {
    s.routes.On("POST", "/v1beta1/projects/p/instances", [this](const HttpRequest&, int) {
      return JsonResponse(
          200, R"({"name":")" + name + R"(","done":false,"metadata":{"progressPercent":10}})");
    });
    s.routes.On("GET", "/v1beta1/" + name, [this](const HttpRequest&, int call) {
      if (canceled) {
        return JsonResponse(200, R"({"name":")" + name +
                                     R"(","done":true,"error":{"code":1,"message":"cancelled"}})");
      }
      if (call < running) {
        return JsonResponse(
            200, R"({"name":")" + name + R"(","done":false,"metadata":{"progressPercent":50}})");
      }
      return JsonResponse(200, R"({"name":")" + name + R"(","done":true,)" + end + "}");
    });
    s.routes.On("POST", "/v1beta1/" + name + ":cancel", [this](const HttpRequest&, int) {
      canceled = true;
      return JsonResponse(200, "{}");
    });
  }
  std::string call_url() const { return s.base() + "/v1beta1/projects/p/instances?alt=json"; }
  std::string operation_url() const { return s.base() + "/v1beta1/" + name; }
};

TEST(GoogleOperationTest, RunsToItsResponse) {
  GoogleService google;
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(google.call_url()).Json(R"({"size":1})"));
  EXPECT_EQ(poller.PollingModeName(), "google");
  EXPECT_EQ(poller.MonitorUrl(), google.operation_url());
  EXPECT_EQ(poller.OperationId(), google.name);
  EXPECT_EQ(poller.State().percent_complete, 10);
  std::vector<int> percents;
  poller.OnProgress([&](const OperationState& state) {
    percents.push_back(state.percent_complete.value_or(-1));
  });
  auto outcome = poller.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"@type":"type.googleapis.com/x.Instance","name":"i"})");
  EXPECT_EQ(percents.front(), 50);
  const auto seen = google.s.server.requests();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(PathOf(seen[1].url), "/v1beta1/" + google.name);
}

TEST(GoogleOperationTest, ErrorIsOperationFailedWithTheRpcCode) {
  GoogleService google;
  google.end = R"("error":{"code":9,"message":"quota gone","details":[]})";
  Client client(FastClientOptions());
  auto outcome = client.Start(Request::Post(google.call_url()).Json("{}")).Wait();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationFailed);
  ASSERT_TRUE(outcome.status().service_error().has_value());
  EXPECT_EQ(outcome.status().service_error()->code, "FAILED_PRECONDITION");
  EXPECT_THAT(outcome.status().message(), HasSubstr("quota gone"));
}

TEST(GoogleOperationTest, CancelThenResumeElsewhereEndsCanceled) {
  GoogleService google;
  google.running = 1000;
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(google.call_url()).Json("{}"));
  auto token = poller.ResumeToken();
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(poller.Cancel().ok());

  Client other(FastClientOptions());
  auto resumed = other.Resume(*token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationCanceled) << outcome.status().ToString();
  const auto seen = google.s.server.requests();
  ASSERT_GE(seen.size(), 3U);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(PathOf(seen[1].url), "/v1beta1/" + google.name + ":cancel");
}

}  // namespace
}  // namespace lro::test
