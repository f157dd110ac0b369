// lro::Client over the real libcurl transport: transient failures and retries (SPEC §6),
// resume tokens, credential scoping (§8), what carries over to later requests (§3), server-side
// cancel (§7), and local cancellation, deadlines and Stop of a Wait.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "lro/cancellation.h"
#include "lro/client.h"
#include "lro/http.h"
#include "lro/options.h"
#include "lro/poller.h"
#include "lro/request.h"
#include "refusing_port.h"
#include "test_util.h"

namespace lro::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// All recorded requests but the first (the initial one).
std::vector<HttpRequest> LaterRequests(const TestHttpServer& server) {
  std::vector<HttpRequest> seen = server.requests();
  if (!seen.empty()) seen.erase(seen.begin());
  return seen;
}

// An Azure-style operation on `s`: POST `start` → 202 with Operation-Location `monitor`.
void AddAzureStart(RoutedServer& s, const std::string& start, const std::string& monitor) {
  s.routes.On("POST", start, [&s, monitor](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Operation-Location", s.routes.base() + monitor}, {"Retry-After", "0"}}, {}};
  });
}

HttpResponse Running() {
  return JsonResponse(200, R"({"status":"Running"})", {{"Retry-After", "0"}});
}
HttpResponse Succeeded() {
  return JsonResponse(200, R"({"status":"Succeeded","result":{"done":true}})");
}

// --- Transient failures (SPEC §6) --------------------------------------------------------------

TEST(TransientTest, Poll503TwiceThenSuccess) {
  RoutedServer s;
  AddAzureStart(s, "/jobs", "/operations/t1");
  s.routes.On("GET", "/operations/t1", [](const HttpRequest&, int call) {
    if (call < 2) {
      return JsonResponse(503, R"({"error":{"code":"ServiceUnavailable","message":"later"}})",
                          {{"Retry-After", "0"}});
    }
    return call == 2 ? Running() : Succeeded();
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/jobs"));
  StatusOr<Result> result = poller.Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"done":true})");
  EXPECT_EQ(s.server.requests().size(), 5U);
}

TEST(TransientTest, Poll429ThenSuccess) {
  RoutedServer s;
  AddAzureStart(s, "/jobs", "/operations/t2");
  s.routes.On("GET", "/operations/t2", [](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(
          429, R"({"errorCode":"TooManyRequests","message":"slow down","isRetriable":true})",
          {{"Retry-After", "0"}});
    }
    return Succeeded();
  });
  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Post(s.base() + "/jobs")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(s.server.requests().size(), 3U);
}

// A PUT is idempotent, so a 503 on the initial request is retried (SPEC §6).
TEST(TransientTest, InitialPutIsRetried) {
  RoutedServer s;
  s.routes.On("PUT", "/widgets/w", [](const HttpRequest&, int call) {
    if (call == 0) return JsonResponse(503, "{}", {{"Retry-After", "0"}});
    return JsonResponse(201, R"({"name":"w"})");
  });
  Client client(FastClientOptions());
  StatusOr<Result> result = client.Start(Request::Put(s.base() + "/widgets/w").Json("{}")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"name":"w"})");
  EXPECT_EQ(s.server.requests().size(), 2U);
}

// With the default idempotency key turned off, a POST is not retried: it could be done twice
// (SPEC §6).
TEST(TransientTest, InitialPostWithoutIdempotencyKeyIsNotRetried) {
  RoutedServer s;
  s.routes.On("POST", "/jobs", [](const HttpRequest&, int) {
    return JsonResponse(503, "{}", {{"Retry-After", "0"}});
  });
  Client client(FastClientOptions());
  OperationOptions options;
  options.add_repeatability_headers = false;
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/jobs").Json("{}"), options).Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsPollingFailure()) << result.status().ToString();
  EXPECT_EQ(s.server.requests().size(), 1U);
}

// With repeatability headers a POST may be retried, with the same request id each time.
TEST(TransientTest, InitialPostWithRepeatabilityHeadersIsRetried) {
  RoutedServer s;
  s.routes.On("POST", "/jobs", [](const HttpRequest&, int call) {
    if (call == 0) return JsonResponse(503, "{}", {{"Retry-After", "0"}});
    return JsonResponse(200, R"({"id":"j"})", {{"Repeatability-Result", "accepted"}});
  });
  Client client(FastClientOptions());
  OperationOptions options;
  options.add_repeatability_headers = true;
  StatusOr<Result> result =
      client.Start(Request::Post(s.base() + "/jobs").Json("{}"), options).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const std::vector<HttpRequest> seen = s.server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_FALSE(HeaderOf(seen[0], "Repeatability-Request-ID").empty());
  EXPECT_FALSE(HeaderOf(seen[0], "Repeatability-First-Sent").empty());
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-Request-ID"),
            HeaderOf(seen[1], "Repeatability-Request-ID"));
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-First-Sent"),
            HeaderOf(seen[1], "Repeatability-First-Sent"));
}

TEST(TransientTest, ConnectionRefusedOnStartIsUnavailableAfterRetries) {
  const RefusingPort refusing;
  const std::string url = refusing.base_url() + "/widgets/w";
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Put(url).Json("{}"));
  EXPECT_TRUE(poller.IsDone());
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("127.0.0.1"));
}

TEST(TransientTest, ConnectionRefusedWhilePollingIsUnavailableAfterRetries) {
  const RefusingPort refusing;
  const std::string dead = refusing.base_url();
  RoutedServer s;
  s.routes.On("POST", "/jobs", [dead](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", dead + "/operations/x"}}, {}};
  });
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/jobs"));
  EXPECT_FALSE(poller.IsDone());
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  // The operation's own state never changed: it is still running as far as we know.
  EXPECT_EQ(poller.State().status.kind, StatusKind::kRunning);
}

// --- Resume (DESIGN; SPEC §8: a token never holds a credential) -------------------------------

TEST(ResumeTest, SecondClientResumesFromTheToken) {
  RoutedServer s;
  s.routes.On("POST", "/v1/workspaces/ws/items", [&s](const HttpRequest&, int) {
    return HttpResponse{202,
                        {{"Location", s.routes.base() + "/v1/operations/r1"},
                         {"x-ms-operation-id", "r1"},
                         {"Retry-After", "0"}},
                        {}};
  });
  s.routes.On("GET", "/v1/operations/r1", [&s](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(200, R"({"status":"Running","percentComplete":50})",
                          {{"Location", s.routes.base() + "/v1/operations/r1"},
                           {"x-ms-operation-id", "r1"},
                           {"Retry-After", "0"}});
    }
    return JsonResponse(200, R"({"status":"Succeeded","percentComplete":100})",
                        {{"Location", s.routes.base() + "/v1/operations/r1/result"}});
  });
  s.routes.On("GET", "/v1/operations/r1/result",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"id":"resumed"})"); });

  std::string token;
  {
    ClientOptions options = FastClientOptions();
    options.credentials = []() -> StatusOr<Headers> {
      return Headers{{"Authorization", "Bearer first-secret"}};
    };
    Client first(options);
    Poller poller = first.Start(Request::Post(s.base() + "/v1/workspaces/ws/items")
                                    .Json(R"({"displayName":"nb"})")
                                    .Header("x-ms-client-request-id", "cid-resume")
                                    .Header("api-key", "key-secret"));
    ASSERT_FALSE(poller.IsDone());
    StatusOr<std::string> encoded = poller.ResumeToken();
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    token = *encoded;
  }
  EXPECT_THAT(token, Not(HasSubstr("Authorization")));
  EXPECT_THAT(token, Not(HasSubstr("first-secret")));
  EXPECT_THAT(token, Not(HasSubstr("key-secret")));

  ClientOptions options = FastClientOptions();
  options.transport = MakeCurlTransport();
  options.credentials = []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer second-secret"}};
  };
  Client second(options);
  StatusOr<Poller> resumed = second.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  StatusOr<Result> result = resumed->Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"id":"resumed"})");

  const std::vector<HttpRequest> later = LaterRequests(s.server);
  ASSERT_EQ(later.size(), 3U);
  for (const HttpRequest& request : later) {
    EXPECT_EQ(HeaderOf(request, "Authorization"), "Bearer second-secret") << request.url;
    EXPECT_EQ(HeaderOf(request, "x-ms-client-request-id"), "cid-resume") << request.url;
  }
}

TEST(ResumeTest, MalformedTokenIsInvalidArgument) {
  Client client(FastClientOptions());
  for (const char* token : {"", "not json", R"({"lro":"resume-token","version":999})"}) {
    StatusOr<Poller> poller = client.Resume(token);
    ASSERT_FALSE(poller.ok()) << token;
    EXPECT_EQ(poller.status().code(), StatusCode::kInvalidArgument) << token;
  }
}

// --- Credentials (SPEC §8) ---------------------------------------------------------------------

// Server `a` starts the operation and points at a monitor on server `b` (another origin: the
// ports differ). Returns the result of waiting for it.
StatusOr<Result> RunCrossOrigin(RoutedServer& a, RoutedServer& b, ClientOptions options,
                                const Request& request) {
  a.routes.On("POST", "/start", [&b](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Operation-Location", b.routes.base() + "/operations/x"}, {"Retry-After", "0"}}, {}};
  });
  b.routes.On("GET", "/operations/x",
              [](const HttpRequest&, int call) { return call == 0 ? Running() : Succeeded(); });
  Client client(std::move(options));
  return client.Start(request).Wait();
}

TEST(CredentialsTest, ProviderCredentialsStayOnTheInitialOrigin) {
  RoutedServer a;
  RoutedServer b;
  ClientOptions options = FastClientOptions();
  options.credentials = []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer secret"}};
  };
  StatusOr<Result> result = RunCrossOrigin(a, b, options, Request::Post(a.base() + "/start"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  ASSERT_EQ(a.server.requests().size(), 1U);
  EXPECT_EQ(HeaderOf(a.server.requests()[0], "Authorization"), "Bearer secret");
  ASSERT_EQ(b.server.requests().size(), 2U);
  for (const HttpRequest& request : b.server.requests()) {
    EXPECT_FALSE(FindHeader(request.headers, "Authorization").has_value()) << request.url;
  }
}

// The allow-list is by host name, so another port of 127.0.0.1 is allowed.
TEST(CredentialsTest, AllowedHostReceivesCredentials) {
  RoutedServer a;
  RoutedServer b;
  ClientOptions options = FastClientOptions();
  options.credentials = []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer secret"}};
  };
  options.allowed_credential_hosts = {"127.0.0.1"};
  StatusOr<Result> result = RunCrossOrigin(a, b, options, Request::Post(a.base() + "/start"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(b.server.requests().size(), 2U);
  for (const HttpRequest& request : b.server.requests()) {
    EXPECT_EQ(HeaderOf(request, "Authorization"), "Bearer secret") << request.url;
  }
}

// Credentials the caller put on the request are scoped the same way; so are the other built-in
// sensitive headers and the ones the caller names. Ordinary headers still carry over.
TEST(CredentialsTest, CallerCredentialHeadersStayOnTheInitialOrigin) {
  RoutedServer a;
  RoutedServer b;
  ClientOptions options = FastClientOptions();
  options.sensitive_headers = {"X-Tenant-Secret"};
  StatusOr<Result> result = RunCrossOrigin(a, b, options,
                                           Request::Post(a.base() + "/start")
                                               .Header("Authorization", "Bearer caller-secret")
                                               .Header("api-key", "caller-key")
                                               .Header("X-Tenant-Secret", "tenant-secret")
                                               .Header("x-ms-client-request-id", "cid-c"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  ASSERT_EQ(a.server.requests().size(), 1U);
  const HttpRequest start = a.server.requests()[0];
  EXPECT_EQ(HeaderOf(start, "Authorization"), "Bearer caller-secret");
  EXPECT_EQ(HeaderOf(start, "api-key"), "caller-key");
  EXPECT_EQ(HeaderOf(start, "X-Tenant-Secret"), "tenant-secret");
  ASSERT_EQ(b.server.requests().size(), 2U);
  for (const HttpRequest& request : b.server.requests()) {
    EXPECT_FALSE(FindHeader(request.headers, "Authorization").has_value()) << request.url;
    EXPECT_FALSE(FindHeader(request.headers, "api-key").has_value()) << request.url;
    EXPECT_FALSE(FindHeader(request.headers, "X-Tenant-Secret").has_value()) << request.url;
    EXPECT_EQ(HeaderOf(request, "x-ms-client-request-id"), "cid-c") << request.url;
  }
}

TEST(CredentialsTest, SameOriginPollsCarryCredentials) {
  RoutedServer s;
  s.routes.On("POST", "/start", [](const HttpRequest&, int) {
    // A relative link resolves against the request URL: same origin.
    return HttpResponse{
        202, {{"Operation-Location", "/operations/same"}, {"Retry-After", "0"}}, {}};
  });
  s.routes.On("GET", "/operations/same",
              [](const HttpRequest&, int call) { return call == 0 ? Running() : Succeeded(); });
  ClientOptions options = FastClientOptions();
  options.credentials = []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer secret"}};
  };
  Client client(options);
  StatusOr<Result> result = client.Start(Request::Post(s.base() + "/start")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(s.server.requests().size(), 3U);
  for (const HttpRequest& request : s.server.requests()) {
    EXPECT_EQ(HeaderOf(request, "Authorization"), "Bearer secret") << request.url;
  }
}

// --- What carries over (SPEC §3) ---------------------------------------------------------------

TEST(CarryOverTest, HeadersCookiesAndApiVersionReachEveryLaterRequest) {
  RoutedServer s;
  s.routes.On("PUT", "/items/1", [&s](const HttpRequest&, int) {
    return JsonResponse(201, R"({"name":"1"})",
                        {{"Operation-Location", s.routes.base() + "/operations/7"},
                         {"Set-Cookie", "affinity=node-3; Path=/; HttpOnly"},
                         {"Retry-After", "0"}});
  });
  // A cookie set on a poll joins the one set on the initial response.
  s.routes.On("GET", "/operations/7", [](const HttpRequest&, int call) {
    if (call == 0) {
      return JsonResponse(200, R"({"status":"Running"})",
                          {{"Set-Cookie", "route=r2; Path=/"}, {"Retry-After", "0"}});
    }
    return JsonResponse(200, R"({"status":"Succeeded"})");
  });
  s.routes.On("GET", "/items/1",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"name":"1"})"); });

  Client client(FastClientOptions());
  StatusOr<Result> result = client
                                .Start(Request::Put(s.base() + "/items/1?api-version=2024-05-01")
                                           .Json(R"({"a":1})")
                                           .Header("x-ms-client-request-id", "cid-7")
                                           .Header("x-custom", "c1"))
                                .Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  const std::vector<HttpRequest> later = LaterRequests(s.server);
  ASSERT_EQ(later.size(), 3U);  // two polls and the final GET
  for (const HttpRequest& request : later) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(HeaderOf(request, "x-ms-client-request-id"), "cid-7") << request.url;
    EXPECT_EQ(HeaderOf(request, "x-custom"), "c1") << request.url;
    EXPECT_THAT(HeaderOf(request, "Cookie"), HasSubstr("affinity=node-3")) << request.url;
    EXPECT_FALSE(FindHeader(request.headers, "Content-Type").has_value()) << request.url;
    EXPECT_THAT(request.url, HasSubstr("api-version=2024-05-01"));
  }
  EXPECT_THAT(HeaderOf(later[1], "Cookie"), HasSubstr("route=r2"));
  EXPECT_THAT(HeaderOf(later[2], "Cookie"), HasSubstr("route=r2"));
  EXPECT_EQ(later[0].url, "/operations/7?api-version=2024-05-01");
  EXPECT_EQ(later[2].url, "/items/1?api-version=2024-05-01");
}

TEST(CarryOverTest, ApiVersionOnThePollingUrlIsNotReplaced) {
  RoutedServer s;
  s.routes.On("PUT", "/items/2", [&s](const HttpRequest&, int) {
    return JsonResponse(
        201, "{}",
        {{"Operation-Location", s.routes.base() + "/operations/8?api-version=2023-01-01-preview"},
         {"Retry-After", "0"}});
  });
  s.routes.On("GET", "/operations/8", [](const HttpRequest&, int call) {
    return call == 0 ? Running() : JsonResponse(200, R"({"status":"Succeeded"})");
  });
  s.routes.On("GET", "/items/2",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"name":"2"})"); });

  Client client(FastClientOptions());
  StatusOr<Result> result =
      client.Start(Request::Put(s.base() + "/items/2?api-version=2024-05-01").Json("{}")).Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  for (const HttpRequest& request : s.server.requests()) {
    if (PathOf(request.url) != "/operations/8") continue;
    EXPECT_EQ(request.url, "/operations/8?api-version=2023-01-01-preview");
  }
}

TEST(CarryOverTest, ApiVersionPropagationCanBeTurnedOff) {
  RoutedServer s;
  s.routes.On("PUT", "/items/3", [&s](const HttpRequest&, int) {
    return JsonResponse(
        201, "{}",
        {{"Operation-Location", s.routes.base() + "/operations/9"}, {"Retry-After", "0"}});
  });
  s.routes.On("GET", "/operations/9", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"status":"Succeeded"})");
  });
  s.routes.On("GET", "/items/3",
              [](const HttpRequest&, int) { return JsonResponse(200, R"({"name":"3"})"); });

  Client client(FastClientOptions());
  OperationOptions options;
  options.propagate_api_version = false;
  StatusOr<Result> result =
      client.Start(Request::Put(s.base() + "/items/3?api-version=2024-05-01").Json("{}"), options)
          .Wait();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const std::vector<HttpRequest> later = LaterRequests(s.server);
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later[0].url, "/operations/9");
}

// --- Server-side cancel (SPEC §7) --------------------------------------------------------------

TEST(CancelTest, PostMonitorCancelThenMonitorReportsCanceled) {
  RoutedServer s;
  std::atomic<bool> cancelled{false};
  AddAzureStart(s, "/jobs", "/operations/c1");
  s.routes.On("GET", "/operations/c1", [&cancelled](const HttpRequest&, int) {
    if (!cancelled.load()) return Running();
    return JsonResponse(200, R"({"id":"c1","status":"Canceled"})");
  });
  s.routes.On("POST", "/operations/c1:cancel", [&cancelled](const HttpRequest&, int) {
    cancelled.store(true);
    return JsonResponse(200, R"({"id":"c1","status":"Canceling"})");
  });

  Client client(FastClientOptions());
  Poller poller =
      client.Start(Request::Post(s.base() + "/jobs").Header("x-ms-client-request-id", "cid-x"));
  ASSERT_TRUE(poller.Poll().ok());
  EXPECT_FALSE(poller.IsDone());
  Status cancel = poller.Cancel();
  ASSERT_TRUE(cancel.ok()) << cancel.ToString();
  StatusOr<Result> result = poller.Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kOperationCanceled) << result.status().ToString();

  const std::vector<HttpRequest> seen = s.server.requests();
  auto cancel_request = std::find_if(seen.begin(), seen.end(), [](const HttpRequest& r) {
    return r.method == "POST" && PathOf(r.url) == "/operations/c1:cancel";
  });
  ASSERT_NE(cancel_request, seen.end());
  EXPECT_EQ(HeaderOf(*cancel_request, "x-ms-client-request-id"), "cid-x");
}

// --- Local cancellation, deadline, Stop ---------------------------------------------------------

TEST(WaitTest, CancellationTokenEndsAnInFlightPollAndALaterWaitCompletes) {
  RoutedServer s;
  Gate gate;
  AddAzureStart(s, "/jobs", "/operations/w1");
  s.routes.On("GET", "/operations/w1", [&gate](const HttpRequest&, int call) {
    if (call == 0) return Running();
    if (call == 1) {
      gate.Pass();  // held until the test opens the gate, after the Wait returned
      return Running();
    }
    return Succeeded();
  });

  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/jobs"));
  CancellationSource source;
  std::thread canceller([&] {
    if (gate.AwaitArrivals(1)) source.Cancel();
  });
  WaitOptions wait;
  wait.cancel = source.token();
  StatusOr<Result> first = poller.Wait(wait);
  gate.Open();
  canceller.join();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kCancelled) << first.status().ToString();
  EXPECT_FALSE(poller.IsDone());

  StatusOr<Result> second = poller.Wait();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, R"({"done":true})");
  // The first Wait returned before the gate opened, not because its safety deadline passed.
  EXPECT_FALSE(gate.timed_out());
}

TEST(WaitTest, TimeoutIsDeadlineExceededAndTheOperationGoesOn) {
  RoutedServer s;
  std::atomic<bool> finished{false};
  s.routes.On("POST", "/jobs", [&s](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Operation-Location", s.routes.base() + "/operations/d"}, {"Retry-After", "1"}}, {}};
  });
  s.routes.On("GET", "/operations/d", [&finished](const HttpRequest&, int) {
    if (finished.load()) return Succeeded();
    return JsonResponse(200, R"({"status":"Running"})", {{"Retry-After", "1"}});
  });

  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/jobs"));
  WaitOptions wait;
  wait.timeout = std::chrono::milliseconds(20);
  StatusOr<Result> first = poller.Wait(wait);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kDeadlineExceeded) << first.status().ToString();
  EXPECT_FALSE(poller.IsDone());

  finished.store(true);
  ASSERT_TRUE(poller.Poll().ok());  // one step now, whatever the Retry-After
  EXPECT_TRUE(poller.IsDone());
  StatusOr<Result> second = poller.Wait();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
}

TEST(WaitTest, StopEndsAWaitOnAnotherThread) {
  RoutedServer s;
  s.routes.On("POST", "/jobs", [&s](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", s.routes.base() + "/operations/s"}}, {}};
  });
  s.routes.On("GET", "/operations/s", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"status":"Running"})", {{"Retry-After", "30"}});
  });

  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(s.base() + "/jobs"));
  std::thread stopper([&] {
    // Stop once the Wait has polled (and so is sleeping out the 30 s Retry-After).
    for (int i = 0; i < 30'000 && s.server.requests().size() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    poller.Stop();
  });
  StatusOr<Result> result = poller.Wait();
  stopper.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kStopped) << result.status().ToString();
  StatusOr<std::string> token = poller.ResumeToken();
  EXPECT_TRUE(token.ok()) << token.status().ToString();
}

}  // namespace
}  // namespace lro::test
