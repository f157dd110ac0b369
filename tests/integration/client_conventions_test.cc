// lro::Client over the real libcurl transport against loopback servers playing each polling
// convention of SPEC.md §1–§6: Fabric, Azure Operation-Location and Azure-AsyncOperation,
// ARM Location, provisioningState, synchronous answers, and the error shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "lro/client.h"
#include "lro/json.h"
#include "lro/options.h"
#include "lro/poller.h"
#include "lro/request.h"
#include "test_util.h"

namespace lro::test {
namespace {

using ::testing::IsSupersetOf;

// The result's body as JSON equals `expected` (formatting aside).
void ExpectJsonResult(const StatusOr<Result>& result, const std::string& expected) {
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE(result->has_value);
  StatusOr<boost::json::value> parsed = ParseJson(*result);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << " body: " << result->body;
  EXPECT_EQ(*parsed, boost::json::parse(expected)) << "body: " << result->body;
}

// How many recorded requests have this method and path.
int CountRequests(const TestHttpServer& server, const std::string& method,
                  const std::string& path) {
  const std::vector<HttpRequest> seen = server.requests();
  return static_cast<int>(std::count_if(seen.begin(), seen.end(), [&](const HttpRequest& r) {
    return r.method == method && PathOf(r.url) == path;
  }));
}

std::string FabricState(const std::string& status, const std::string& percent) {
  return R"({"status":")" + status +
         R"(","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
         R"("lastUpdatedTimeUtc":"2023-11-13T22:24:41.5320000","percentComplete":)" +
         percent + R"(,"error":null})";
}

// --- Fabric (SPEC §1–§2, §5.2) ---------------------------------------------------------------

TEST(FabricConventionTest, PollsStateReportsProgressAndFetchesResult) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Location", s.routes.base() + "/v1/operations/op-1"},
                         {"x-ms-operation-id", "op-1"},
                         {"Retry-After", "0"}},
                        "null"};
  });
  s.routes.On("GET", "/v1/operations/op-1", [&s](const HttpRequest&, int call) {
    if (call < 3) {
      return JsonResponse(200, FabricState("Running", std::to_string(25 * (call + 1))),
                          {{"Location", s.routes.base() + "/v1/operations/op-1"},
                           {"x-ms-operation-id", "op-1"},
                           {"Retry-After", "0"}});
    }
    return JsonResponse(200, FabricState("Succeeded", "100"),
                        {{"Location", s.routes.base() + "/v1/operations/op-1/result"},
                         {"x-ms-operation-id", "op-1"}});
  });
  s.routes.On("GET", "/v1/operations/op-1/result", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"id":"item-1","displayName":"nb"})");
  });

  Client client(FastClientOptions());
  Poller poller = client.Start(
      Request::Post(s.base() + "/v1/workspaces/ws1/items").Json(R"({"displayName":"nb"})"));
  std::vector<int> percentages;
  poller.OnProgress([&percentages](const OperationState& state) {
    if (state.percent_complete) percentages.push_back(*state.percent_complete);
  });
  StatusOr<Result> result = poller.Wait();

  ExpectJsonResult(result, R"({"id":"item-1","displayName":"nb"})");
  EXPECT_EQ(result->http_status, 200);
  EXPECT_TRUE(result->IsJson());
  EXPECT_TRUE(poller.IsDone());
  EXPECT_EQ(poller.State().status.kind, StatusKind::kSucceeded);
  EXPECT_THAT(percentages, IsSupersetOf({25, 50, 75}));
  EXPECT_TRUE(std::is_sorted(percentages.begin(), percentages.end()));
  EXPECT_EQ(CountRequests(s.server, "GET", "/v1/operations/op-1"), 4);
  EXPECT_EQ(CountRequests(s.server, "GET", "/v1/operations/op-1/result"), 1);
  EXPECT_EQ(CountRequests(s.server, "POST", "/v1/workspaces/ws1/items"), 1);
}

TEST(FabricConventionTest, SucceededWithoutLocationHasNoResult) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Location", s.routes.base() + "/v1/operations/op-2"},
                         {"x-ms-operation-id", "op-2"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/v1/operations/op-2", [&s](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(200, FabricState("NotStarted", "null"),
                          {{"Location", s.routes.base() + "/v1/operations/op-2"},
                           {"x-ms-operation-id", "op-2"},
                           {"Retry-After", "0"}});
    }
    return JsonResponse(200, FabricState("Succeeded", "100"));
  });
  s.routes.On("GET", "/v1/operations/op-2/result", [](const HttpRequest&, int) {
    return JsonResponse(400, R"({"errorCode":"OperationHasNoResult","message":"none"})");
  });

  Client client(FastClientOptions());
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->has_value);
  EXPECT_EQ(CountRequests(s.server, "GET", "/v1/operations/op-2/result"), 0);
}

// x-ms-operation-id without Location: the state URL is {base}/v1/operations/{id} where base is
// the initial request's origin (SPEC §1, §3.3).
TEST(FabricConventionTest, OperationIdOnlyPollsTheInitialOrigin) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [](const HttpRequest&, int) {
    return HttpResponse{202, {{"x-ms-operation-id", "op-3"}, {"Retry-After", "0"}}, {}};
  });
  s.routes.On("GET", "/v1/operations/op-3", [&s](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(200, FabricState("Running", "50"),
                          {{"x-ms-operation-id", "op-3"}, {"Retry-After", "0"}});
    }
    return JsonResponse(200, FabricState("Succeeded", "100"),
                        {{"Location", s.routes.base() + "/v1/operations/op-3/result"}});
  });
  s.routes.On("GET", "/v1/operations/op-3/result",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":3})"); });

  Client client(FastClientOptions());
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items")).Wait();
  ExpectJsonResult(result, R"({"id":3})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/v1/operations/op-3"), 2);
}

// The same with OperationOptions.fabric_base_url naming another server.
TEST(FabricConventionTest, OperationIdOnlyPollsTheConfiguredBase) {
  RoutedServer api;
  RoutedServer cluster;
  api.routes.On("POST", "/v1/workspaces/ws1/items", [](const HttpRequest&, int) {
    return HttpResponse{202, {{"x-ms-operation-id", "op-4"}, {"Retry-After", "0"}}, {}};
  });
  cluster.routes.On("GET", "/v1/operations/op-4", [&cluster](const HttpRequest&, int call) {
    if (call == 0) return JsonResponse(200, FabricState("Running", "10"), {{"Retry-After", "0"}});
    return JsonResponse(200, FabricState("Succeeded", "100"),
                        {{"Location", cluster.routes.base() + "/v1/operations/op-4/result"}});
  });
  cluster.routes.On("GET", "/v1/operations/op-4/result",
                    [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":4})"); });

  Client client(FastClientOptions());
  OperationOptions options;
  options.fabric_base_url = cluster.base();
  StatusOr<Result> result =
      client.Start(Request::Post(api.base() + "/v1/workspaces/ws1/items"), options).Wait();
  ExpectJsonResult(result, R"({"id":4})");
  EXPECT_EQ(api.server.requests().size(), 1U);
  EXPECT_EQ(CountRequests(cluster.server, "GET", "/v1/operations/op-4"), 2);
}

// A Fabric state endpoint seen through a proxy that stripped x-ms-operation-id: a Location
// whose 200 body carries a known status is a status monitor (SPEC §3.4).
TEST(FabricConventionTest, LocationWithStatusBodyIsTreatedAsMonitor) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Location", s.routes.base() + "/v1/operations/op-5"}, {"Retry-After", "0"}}, {}};
  });
  s.routes.On("GET", "/v1/operations/op-5", [&s](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(
          200, FabricState("Running", "40"),
          {{"Location", s.routes.base() + "/v1/operations/op-5"}, {"Retry-After", "0"}});
    }
    return JsonResponse(200, FabricState("Succeeded", "100"),
                        {{"Location", s.routes.base() + "/v1/operations/op-5/result"}});
  });
  s.routes.On("GET", "/v1/operations/op-5/result",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":5})"); });

  Client client(FastClientOptions());
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items")).Wait();
  ExpectJsonResult(result, R"({"id":5})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/v1/operations/op-5"), 2);
}

TEST(FabricConventionTest, WatchFollowsAnExistingStateUrl) {
  RoutedServer s;
  s.routes.On("GET", "/v1/operations/op-6", [&s](const HttpRequest&, int call) {
    if (call == 0) return JsonResponse(200, FabricState("Running", "60"), {{"Retry-After", "0"}});
    return JsonResponse(200, FabricState("Succeeded", "100"),
                        {{"Location", s.routes.base() + "/v1/operations/op-6/result"}});
  });
  s.routes.On("GET", "/v1/operations/op-6/result",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":6})"); });

  Client client(FastClientOptions());
  StatusOr<Poller> poller = client.Watch(s.base() + "/v1/operations/op-6");
  ASSERT_TRUE(poller.ok()) << poller.status().ToString();
  ExpectJsonResult(poller->Wait(), R"({"id":6})");
}

// --- Azure status monitors (SPEC §2, §5) -------------------------------------------------------

TEST(AzureConventionTest, OperationLocationPutFetchesTheOriginalUrl) {
  RoutedServer s;
  s.routes.On("PUT", "/widgets/w1", [&s](const HttpRequest&, int) {
    return JsonResponse(
        201, R"({"name":"w1"})",
        {{"Operation-Location", s.routes.base() + "/operations/ol-1?api-version=2024-01-01"},
         {"Retry-After", "0"}});
  });
  s.routes.On("GET", "/operations/ol-1", [](const HttpRequest&, int call) {
    const char* status = call == 0 ? "NotStarted" : call == 1 ? "Running" : "Succeeded";
    return JsonResponse(200, std::string(R"({"id":"ol-1","status":")") + status + R"("})",
                        {{"Retry-After", "0"}});
  });
  s.routes.On("GET", "/widgets/w1", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"name":"w1","size":3})");
  });

  Client client(FastClientOptions());
  StatusOr<Result> result =
      client
          .Start(
              Request::Put(s.base() + "/widgets/w1?api-version=2024-01-01").Json(R"({"size":3})"))
          .Wait();
  ExpectJsonResult(result, R"({"name":"w1","size":3})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/operations/ol-1"), 3);
  const std::vector<HttpRequest> seen = s.server.requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().method, "GET");
  EXPECT_EQ(seen.back().url, "/widgets/w1?api-version=2024-01-01");
}

TEST(AzureConventionTest, AsyncOperationPostWithFinalStateViaLocation) {
  RoutedServer s;
  s.routes.On("POST", "/things/t1/export", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Azure-AsyncOperation", s.routes.base() + "/asyncops/a1"},
                         {"Location", s.routes.base() + "/exports/a1"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/asyncops/a1", [](const HttpRequest&, int call) {
    return JsonResponse(
        200,
        call < 2 ? R"({"id":"a1","status":"InProgress"})" : R"({"id":"a1","status":"Succeeded"})",
        {{"Retry-After", "0"}});
  });
  s.routes.On("GET", "/exports/a1", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"blob":"https://example.invalid/export.zip"})");
  });

  Client client(FastClientOptions());
  OperationOptions options;
  options.final_state_via = FinalStateVia::kLocation;
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/things/t1/export?api-version=1"), options).Wait();
  ExpectJsonResult(result, R"({"blob":"https://example.invalid/export.zip"})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/asyncops/a1"), 3);
  EXPECT_EQ(CountRequests(s.server, "GET", "/exports/a1"), 1);
}

// final-state-via azure-async-operation: the terminal monitor body is the result, and the
// Location (which this service refuses) is not fetched (SPEC §5.4).
TEST(AzureConventionTest, AsyncOperationPostWithFinalStateViaMonitor) {
  RoutedServer s;
  s.routes.On("POST", "/things/t2/action", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Azure-AsyncOperation", s.routes.base() + "/asyncops/a2"},
                         {"Location", s.routes.base() + "/refused/a2"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/asyncops/a2", [](const HttpRequest&, int call) {
    return JsonResponse(200,
                        call == 0 ? R"({"id":"a2","status":"Running"})"
                                  : R"({"id":"a2","status":"Succeeded","properties":{"x":1}})",
                        {{"Retry-After", "0"}});
  });
  s.routes.On("GET", "/refused/a2", [](const HttpRequest&, int) {
    return JsonResponse(403, R"({"error":{"code":"Forbidden","message":"no"}})");
  });

  Client client(FastClientOptions());
  OperationOptions options;
  options.final_state_via = FinalStateVia::kAzureAsyncOperation;
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/things/t2/action"), options).Wait();
  ExpectJsonResult(result, R"({"id":"a2","status":"Succeeded","properties":{"x":1}})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/refused/a2"), 0);
}

// A POST action whose monitor carries `result` (SPEC §5.3).
TEST(AzureConventionTest, MonitorResultFieldIsTheResult) {
  RoutedServer s;
  s.routes.On("POST", "/models/m1:analyze", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/r1"}}, {}};
  });
  s.routes.On("GET", "/operations/r1", [](const HttpRequest&, int call) {
    return JsonResponse(200,
                        call == 0 ? R"({"id":"r1","status":"Running"})"
                                  : R"({"id":"r1","status":"Succeeded","result":{"answer":42}})",
                        {{"Retry-After", "0"}});
  });

  Client client(FastClientOptions());
  ExpectJsonResult(client.Start(Request::Post(s.base() + "/models/m1:analyze")).Wait(),
                   R"({"answer":42})");
}

// A monitor naming resourceLocation: the result is fetched from there (SPEC §5.1).
TEST(AzureConventionTest, ResourceLocationIsFetched) {
  RoutedServer s;
  s.routes.On("POST", "/copy", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/rl"}}, {}};
  });
  s.routes.On("GET", "/operations/rl", [&s](const HttpRequest&, int) {
    return JsonResponse(200, R"({"id":"rl","status":"Succeeded","resourceLocation":")" +
                                 s.routes.base() + R"(/copies/c7"})");
  });
  s.routes.On("GET", "/copies/c7",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"copy":7})"); });

  Client client(FastClientOptions());
  ExpectJsonResult(client.Start(Request::Post(s.base() + "/copy")).Wait(), R"({"copy":7})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/copies/c7"), 1);
}

TEST(AzureConventionTest, DeleteWithOperationLocationHasNoFinalGet) {
  RoutedServer s;
  s.routes.On("DELETE", "/things/t9", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202,
        {{"Operation-Location", s.routes.base() + "/operations/d1"}, {"Retry-After", "0"}},
        {}};
  });
  s.routes.On("GET", "/operations/d1", [](const HttpRequest&, int call) {
    return JsonResponse(
        200,
        call == 0 ? R"({"id":"d1","status":"Running"})" : R"({"id":"d1","status":"Succeeded"})",
        {{"Retry-After", "0"}});
  });
  s.routes.On("GET", "/things/t9", [](const HttpRequest&, int) {
    return JsonResponse(404, R"({"error":{"code":"NotFound","message":"gone"}})");
  });

  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Delete(s.base() + "/things/t9")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(CountRequests(s.server, "GET", "/operations/d1"), 2);
  EXPECT_EQ(CountRequests(s.server, "GET", "/things/t9"), 0);
  EXPECT_EQ(s.server.requests().size(), 3U);
}

// --- ARM Location polling and provisioningState (SPEC §3.4–§3.5) --------------------------------

TEST(ArmConventionTest, LocationPollingUntil200KeepsTheLatestLocation) {
  RoutedServer s;
  s.routes.On("POST", "/vms/v1/restart", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Location", s.routes.base() + "/locations/l1"}, {"Retry-After", "0"}}, {}};
  });
  // The service moves the Location mid-way; the client must follow the latest one.
  s.routes.On("GET", "/locations/l1", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Location", s.routes.base() + "/locations/l2"}, {"Retry-After", "0"}}, {}};
  });
  s.routes.On("GET", "/locations/l2", [](const HttpRequest&, int call) {
    if (call == 0) return HttpResponse{202, {{"Retry-After", "0"}}, {}};
    return JsonResponse(200, R"({"restarted":true})");
  });

  Client client(FastClientOptions());
  ExpectJsonResult(client.Start(Request::Post(s.base() + "/vms/v1/restart")).Wait(),
                   R"({"restarted":true})");
  EXPECT_EQ(CountRequests(s.server, "GET", "/locations/l1"), 1);
  EXPECT_EQ(CountRequests(s.server, "GET", "/locations/l2"), 2);
}

TEST(ArmConventionTest, LocationPollingEndingIn204HasNoResult) {
  RoutedServer s;
  s.routes.On("DELETE", "/vms/v2", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Location", s.routes.base() + "/locations/l3"}, {"Retry-After", "0"}}, {}};
  });
  s.routes.On("GET", "/locations/l3", [](const HttpRequest&, int call) {
    return HttpResponse{call < 2 ? 202 : 204, {{"Retry-After", "0"}}, {}};
  });

  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Delete(s.base() + "/vms/v2")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->has_value);
  EXPECT_EQ(CountRequests(s.server, "GET", "/locations/l3"), 3);
}

TEST(ArmConventionTest, ProvisioningStatePollsTheOriginalUrl) {
  RoutedServer s;
  s.routes.On("PUT", "/accounts/a1", [](const HttpRequest&, int) {
    return JsonResponse(201, R"({"name":"a1","properties":{"provisioningState":"Creating"}})",
                        {{"Retry-After", "0"}});
  });
  s.routes.On("GET", "/accounts/a1", [](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(200, R"({"name":"a1","properties":{"provisioningState":"Creating"}})",
                          {{"Retry-After", "0"}});
    }
    return JsonResponse(
        200, R"({"name":"a1","properties":{"provisioningState":"Succeeded","endpoint":"e"}})");
  });

  Client client(FastClientOptions());
  StatusOr<Result> result = client
                                .Start(Request::Put(s.base() + "/accounts/a1?api-version=2")
                                           .Json(R"({"location":"westeurope"})"))
                                .Wait();
  ExpectJsonResult(
      result, R"({"name":"a1","properties":{"provisioningState":"Succeeded","endpoint":"e"}})");
  EXPECT_GE(CountRequests(s.server, "GET", "/accounts/a1"), 2);
  EXPECT_EQ(CountRequests(s.server, "PUT", "/accounts/a1"), 1);
}

// --- Synchronous answers (SPEC §1, §3.6) ------------------------------------------------------

TEST(SynchronousTest, Answers200201And204FinishAtOnce) {
  RoutedServer s;
  s.routes.On("POST", "/sync200",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":200})"); });
  s.routes.On("PUT", "/sync201",
              [](const HttpRequest&, int) { return JsonResponse(201, R"({"id":201})"); });
  s.routes.On("DELETE", "/sync204", [](const HttpRequest&, int) {
    return HttpResponse{204, {}, {}};
  });
  Client client(FastClientOptions());

  Poller p200 = client.Start(Request::Post(s.base() + "/sync200").Json("{}"));
  EXPECT_TRUE(p200.IsDone());
  ExpectJsonResult(p200.Wait(), R"({"id":200})");
  EXPECT_EQ(p200.Outcome()->http_status, 200);

  Poller p201 = client.Start(Request::Put(s.base() + "/sync201").Json("{}"));
  EXPECT_TRUE(p201.IsDone());
  ExpectJsonResult(p201.Outcome(), R"({"id":201})");

  Poller p204 = client.Start(Request::Delete(s.base() + "/sync204"));
  EXPECT_TRUE(p204.IsDone());
  StatusOr<Result> none = p204.Wait();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value);

  EXPECT_EQ(s.server.requests().size(), 3U);
}

// --- Errors (SPEC §2, §6) ----------------------------------------------------------------------

TEST(ErrorTest, StartFailureWithFabricErrorResponse) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [](const HttpRequest&, int) {
    return JsonResponse(
        400,
        R"({"errorCode":"InvalidItemType","message":"Item type is invalid","requestId":"req-1",)"
        R"("isRetriable":false,"moreDetails":[{"errorCode":"UnknownType","message":"nb2",)"
        R"("relatedResource":{"resourceId":"r-1","resourceType":"Notebook"}}]})",
        {{"x-ms-public-api-error-code", "InvalidItemType"}, {"RequestId", "req-1"}});
  });
  Client client(FastClientOptions());
  Poller poller =
      client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items").Json(R"({"type":"x"})"));
  EXPECT_TRUE(poller.IsDone());
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  const Status& status = result.status();
  EXPECT_EQ(status.code(), StatusCode::kHttpError) << status.ToString();
  EXPECT_EQ(status.http_status(), 400);
  ASSERT_TRUE(status.service_error().has_value()) << status.ToString();
  const ServiceError& error = *status.service_error();
  EXPECT_EQ(error.code, "InvalidItemType");
  EXPECT_EQ(error.message, "Item type is invalid");
  EXPECT_EQ(error.request_id, "req-1");
  EXPECT_EQ(error.is_retriable, std::optional<bool>(false));
  ASSERT_EQ(error.details.size(), 1U);
  EXPECT_EQ(error.details[0].code, "UnknownType");
  ASSERT_TRUE(error.details[0].related_resource.has_value());
  EXPECT_EQ(error.details[0].related_resource->resource_id, "r-1");
  EXPECT_EQ(error.details[0].related_resource->resource_type, "Notebook");
  EXPECT_EQ(s.server.requests().size(), 1U);
}

TEST(ErrorTest, StartFailureWithAzureErrorShape) {
  RoutedServer s;
  s.routes.On("PUT", "/widgets/bad", [](const HttpRequest&, int) {
    return JsonResponse(
        400,
        R"({"error":{"code":"InvalidParameter","message":"name too long","target":"name",)"
        R"("details":[{"code":"TooLong","message":"at most 10"}],"innererror":{"trace":"t1"}}})",
        {{"x-ms-error-code", "InvalidParameter"}});
  });
  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Put(s.base() + "/widgets/bad").Json("{}")).Wait();
  ASSERT_FALSE(result.ok());
  const Status& status = result.status();
  EXPECT_EQ(status.code(), StatusCode::kHttpError) << status.ToString();
  EXPECT_EQ(status.http_status(), 400);
  ASSERT_TRUE(status.service_error().has_value()) << status.ToString();
  const ServiceError& error = *status.service_error();
  EXPECT_EQ(error.code, "InvalidParameter");
  EXPECT_EQ(error.message, "name too long");
  EXPECT_EQ(error.target, "name");
  ASSERT_EQ(error.details.size(), 1U);
  EXPECT_EQ(error.details[0].code, "TooLong");
  EXPECT_NE(error.inner_error_json.find("t1"), std::string::npos);
}

TEST(ErrorTest, FabricOperationFailed) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Location", s.routes.base() + "/v1/operations/f1"},
                         {"x-ms-operation-id", "f1"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/v1/operations/f1", [](const HttpRequest&, int call) {
    if (call == 0) return JsonResponse(200, FabricState("Running", "30"), {{"Retry-After", "0"}});
    return JsonResponse(200,
                        R"({"status":"Failed","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
                        R"("lastUpdatedTimeUtc":"2023-11-13T22:25:40.477Z","percentComplete":null,)"
                        R"("error":{"errorCode":"CapacityExceeded","message":"Capacity exhausted",)"
                        R"("requestId":"req-9"}})");
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items"));
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kOperationFailed) << result.status().ToString();
  ASSERT_TRUE(result.status().service_error().has_value());
  EXPECT_EQ(result.status().service_error()->code, "CapacityExceeded");
  EXPECT_EQ(result.status().service_error()->message, "Capacity exhausted");
  EXPECT_EQ(result.status().service_error()->request_id, "req-9");
  EXPECT_EQ(poller.State().status.kind, StatusKind::kFailed);
  ASSERT_TRUE(poller.State().error.has_value());
  EXPECT_EQ(poller.State().error->code, "CapacityExceeded");
}

TEST(ErrorTest, AzureOperationFailedAndCanceled) {
  RoutedServer s;
  s.routes.On("POST", "/jobs/fail", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/jf"}}, {}};
  });
  s.routes.On("GET", "/operations/jf", [](const HttpRequest&, int) {
    return JsonResponse(
        200, R"({"id":"jf","status":"Failed","error":{"code":"Conflict","message":"busy"}})");
  });
  s.routes.On("POST", "/jobs/cancel", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/jc"}}, {}};
  });
  s.routes.On("GET", "/operations/jc", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"id":"jc","status":"Canceled"})");
  });
  Client client(FastClientOptions());

  StatusOr<Result> failed = client.Start(Request::Post(s.base() + "/jobs/fail")).Wait();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kOperationFailed) << failed.status().ToString();
  ASSERT_TRUE(failed.status().service_error().has_value());
  EXPECT_EQ(failed.status().service_error()->code, "Conflict");
  EXPECT_EQ(failed.status().service_error()->message, "busy");

  StatusOr<Result> canceled = client.Start(Request::Post(s.base() + "/jobs/cancel")).Wait();
  ASSERT_FALSE(canceled.ok());
  EXPECT_EQ(canceled.status().code(), StatusCode::kOperationCanceled)
      << canceled.status().ToString();
}

// A non-transient HTTP error while polling fails polling, not the operation (SPEC §6).
TEST(ErrorTest, PollHttpErrorIsAPollingFailure) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws1/items", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Location", s.routes.base() + "/v1/operations/gone"},
                         {"x-ms-operation-id", "gone"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/v1/operations/gone", [](const HttpRequest&, int) {
    return JsonResponse(
        404, R"({"errorCode":"EntityNotFound","message":"not found","requestId":"req-4"})",
        {{"x-ms-public-api-error-code", "EntityNotFound"}});
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/v1/workspaces/ws1/items"));
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  const Status& status = result.status();
  EXPECT_EQ(status.code(), StatusCode::kHttpError) << status.ToString();
  EXPECT_TRUE(status.IsPollingFailure());
  EXPECT_EQ(status.http_status(), 404);
  ASSERT_TRUE(status.service_error().has_value()) << status.ToString();
  EXPECT_EQ(status.service_error()->code, "EntityNotFound");
  EXPECT_EQ(status.service_error()->request_id, "req-4");
  EXPECT_EQ(poller.State().status.kind, StatusKind::kRunning);
}

TEST(ErrorTest, Accepted202WithNoLinkIsAProtocolError) {
  RoutedServer s;
  s.routes.On("POST", "/nolink", [](const HttpRequest&, int) { return HttpResponse{202, {}, {}}; });
  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Post(s.base() + "/nolink")).Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kProtocolError) << result.status().ToString();
}

TEST(ErrorTest, MonitorWithoutStringStatusIsAProtocolError) {
  RoutedServer s;
  s.routes.On("POST", "/missing", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/m"}}, {}};
  });
  s.routes.On("GET", "/operations/m",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":"m"})"); });
  s.routes.On("POST", "/numeric", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/n"}}, {}};
  });
  s.routes.On("GET", "/operations/n", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"id":"n","status":3})");
  });
  Client client(FastClientOptions());
  for (const char* path : {"/missing", "/numeric"}) {
    StatusOr<Result> result = client.Start(Request::Post(s.base() + path)).Wait();
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_EQ(result.status().code(), StatusCode::kProtocolError)
        << path << ": " << result.status().ToString();
  }
}

// An unknown status keeps polling and is visible to the caller (SPEC §2).
TEST(ErrorTest, UnknownStatusKeepsPollingAndIsReported) {
  RoutedServer s;
  s.routes.On("POST", "/odd", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/o"}}, {}};
  });
  s.routes.On("GET", "/operations/o", [](const HttpRequest&, int call) {
    return JsonResponse(200,
                        call == 0 ? R"({"id":"o","status":"Provisioning"})"
                                  : R"({"id":"o","status":"Succeeded","result":{"ok":1}})",
                        {{"Retry-After", "0"}});
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/odd"));
  std::vector<LroStatus> statuses;
  poller.OnProgress([&statuses](const OperationState& state) { statuses.push_back(state.status); });
  ExpectJsonResult(poller.Wait(), R"({"ok":1})");
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.front().raw, "Provisioning");
  EXPECT_FALSE(statuses.front().known);
  EXPECT_EQ(statuses.front().kind, StatusKind::kRunning);
}

}  // namespace
}  // namespace lro::test
