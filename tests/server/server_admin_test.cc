// Operating lrod: metrics, request bounds, connections, graceful shutdown, restart recovery,
// per-type settings.
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>

#include "lro/lro.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

TEST(ServerAdmin, MetricsExposeOperationsQueuesLatenciesAndThrottling) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  auto created = h.Send("POST", kItems, ItemBody("nb", 5));
  WaitTerminal(h, Header(created, "x-ms-operation-id"));
  auto metrics = h.Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(Header(metrics, "Content-Type"), "text/plain; version=0.0.4");
  for (const char* expected :
       {"lrod_operations{status=\"Succeeded\"} 1", "lrod_operations{status=\"Running\"} 0",
        "lrod_executor_queue_depth ", "lrod_store_writer_queue_depth ",
        "lrod_http_request_duration_seconds_bucket{endpoint=\"state\",le=\"0.001\"}",
        "lrod_http_request_duration_seconds_count{endpoint=\"create\"} 1",
        "lrod_throttled_requests_total 0", "lrod_operations_created_total 1",
        "lrod_store_commit_duration_seconds_count ", "lrod_http_responses_total{code=\"202\"} 1",
        "# TYPE lrod_operations gauge"}) {
    EXPECT_NE(metrics.body.find(expected), std::string::npos) << expected;
  }
  EXPECT_EQ(h.Send("GET", "/healthz").status, 200);
}

TEST(ServerAdmin, EveryResponseCarriesARequestId) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/metrics"},
                                                        {"GET", "/nothing"},
                                                        {"GET", "/v1/operations"},
                                                        {"GET", "/v1/operations/x"},
                                                        {"POST", std::string(kItems)}}) {
    auto response = h.Send(method, path, method == "POST" ? "{}" : "");
    EXPECT_TRUE(IsUuidV4(Header(response, "RequestId"))) << method << " " << path;
    EXPECT_FALSE(Header(response, "Access-Control-Expose-Headers").empty());
  }
}

TEST(ServerAdmin, RequestsAreBounded) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.max_body_bytes = 1000;
  options.max_header_bytes = 2000;
  Harness h(options);
  auto too_big = h.Send("POST", kItems, std::string(5000, 'x'));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_TRUE(IsUuidV4(Header(too_big, "RequestId")));
  EXPECT_EQ(ParseJson(too_big.body).at("errorCode"), "RequestBodyTooLarge");
  EXPECT_EQ(h.Send("GET", "/v1/operations", "", {{"X-Big", std::string(4000, 'y')}}).status, 431);
  const std::string garbage = RawExchange(h.server().port(), "NONSENSE\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0U) << garbage;
  // Keep-alive: two requests on one connection, then close.
  const std::string two =
      RawExchange(h.server().port(),
                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n");
  std::size_t answers = 0;
  for (std::size_t at = two.find("HTTP/1.1 200"); at != std::string::npos;
       at = two.find("HTTP/1.1 200", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2U);
  EXPECT_NE(two.find("Connection: close"), std::string::npos);
}

TEST(ServerAdmin, RetryAfterAndConcurrencyAreConfigurablePerType) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.retry_after_by_type["Slow"] = std::chrono::seconds(7);
  options.concurrency_by_type["Slow"] = 1;
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  Harness h(options, false, [&](Server& server) {
    server.Route("POST", "/v1/slow", {.operation_type = "Slow", .max_concurrency = 4},
                 [&](const Request&) {
                   return Reply::Start([&](WorkContext& context) {
                     const int now = ++running;
                     int seen = peak.load();
                     while (now > seen && !peak.compare_exchange_weak(seen, now)) {
                     }
                     context.SleepFor(std::chrono::milliseconds(20));
                     --running;
                     return WorkResult::NoResult();
                   });
                 });
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto created = h.Send("POST", "/v1/slow");
    ASSERT_EQ(created.status, 202);
    EXPECT_EQ(Header(created, "Retry-After"), "7");
    ids.push_back(Header(created, "x-ms-operation-id"));
  }
  auto state = h.Send("GET", "/v1/operations/" + ids.back());
  if (ParseJson(state.body).at("status") != "Succeeded") {
    EXPECT_EQ(Header(state, "Retry-After"), "7");
  }
  for (const auto& id : ids) EXPECT_EQ(WaitTerminal(h, id).at("status"), "Succeeded");
  EXPECT_EQ(peak.load(), 1);
}

TEST(ServerAdmin, GracefulStopFinishesTheRequestInFlight) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::seconds(5)));
  HttpResponse answer;
  std::thread creator([&] { answer = h.Send("POST", kItems, ItemBody("nb", 1000)); });
  // Stop once the creation is in flight (its operation is listed while it runs).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         ParseJson(h.Send("GET", "/v1/operations").body).at("value").as_array().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  h.server().Stop();
  creator.join();
  EXPECT_TRUE(answer.status == 201 || answer.status == 202) << answer.status;
  EXPECT_EQ(Header(answer, "Connection"), "close");
}

// A route whose work waits for an hour unless the process restarts.
void RegisterWaiting(Server& server, bool idempotent, std::atomic<bool>* quick) {
  RouteOptions options{.operation_type = "Waiting", .idempotent = idempotent};
  server.Route("POST", "/v1/waiting", options, [quick](const Request& request) {
    const bool finish_now = quick != nullptr && quick->load();
    const std::string body = request.body;
    return Reply::Start([finish_now, body](WorkContext&) {
      if (finish_now) return WorkResult::Json(R"({"echo":)" + body + "}");
      return WorkResult::ContinueAfter(std::chrono::hours(1),
                                       [](WorkContext&) { return WorkResult::NoResult(); });
    });
  });
}

TEST(ServerAdmin, AfterARestartRunningOperationsThatCannotBeRerunAreFailedClearly) {
  TempDir dir;
  std::string id;
  {
    Harness first(Options(dir, std::chrono::milliseconds(0)), false,
                  [](Server& server) { RegisterWaiting(server, false, nullptr); });
    auto created = first.Send("POST", "/v1/waiting", "{}");
    ASSERT_EQ(created.status, 202);
    id = Header(created, "x-ms-operation-id");
  }  // stopped with the operation running
  Harness second(Options(dir, std::chrono::milliseconds(0)), false,
                 [](Server& server) { RegisterWaiting(server, false, nullptr); });
  auto state = WaitTerminal(second, id);
  EXPECT_EQ(state.at("status"), "Failed");
  EXPECT_EQ(state.at("error").at("errorCode"), "OperationInterrupted");
  auto metrics = second.Send("GET", "/metrics").body;
  EXPECT_NE(metrics.find("lrod_operations_recovered_failed_total 1"), std::string::npos);
}

TEST(ServerAdmin, AfterARestartIdempotentOperationsAreRerunFromTheirRequest) {
  TempDir dir;
  std::string id;
  {
    Harness first(Options(dir, std::chrono::milliseconds(0)), false,
                  [](Server& server) { RegisterWaiting(server, true, nullptr); });
    auto created = first.Send("POST", "/v1/waiting", R"({"n":7})",
                              {{"Authorization", "Bearer must-not-be-stored"}});
    ASSERT_EQ(created.status, 202);
    id = Header(created, "x-ms-operation-id");
  }
  {
    // The request is stored without credentials.
    auto store = OpenSqliteStore(dir.File("ops.db"));
    ASSERT_TRUE(store.ok());
    ClaimQuery query;
    query.owner = "lrod";  // the harness's replica: its own work is claimable again
    query.reclaim_own_expiring_before_ms = std::numeric_limits<std::int64_t>::max();
    auto unfinished = (*store)->Claim(query);
    ASSERT_TRUE(unfinished.ok());
    ASSERT_EQ(unfinished->size(), 1U);
    EXPECT_EQ((*unfinished)[0].request.find("must-not-be-stored"), std::string::npos);
  }
  std::atomic<bool> quick{true};
  Harness second(Options(dir, std::chrono::milliseconds(0)), false,
                 [&](Server& server) { RegisterWaiting(server, true, &quick); });
  auto state = WaitTerminal(second, id);
  EXPECT_EQ(state.at("status"), "Succeeded");
  auto result = second.Send("GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(ParseJson(result.body).at("echo").at("n"), 7);
}

TEST(ServerAdmin, AnOperationTakenOverMoreOftenThanMaxAttemptsIsFailed) {
  TempDir dir;
  std::string id;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.max_attempts = 1;  // the first start only: any takeover fails it
  {
    Harness first(options, false, [](Server& server) { RegisterWaiting(server, true, nullptr); });
    auto created = first.Send("POST", "/v1/waiting", "{}");
    ASSERT_EQ(created.status, 202);
    id = Header(created, "x-ms-operation-id");
  }  // stopped with the operation running: handed over, for the next start to claim
  Harness second(options, false, [](Server& server) { RegisterWaiting(server, true, nullptr); });
  auto state = WaitTerminal(second, id);
  EXPECT_EQ(state.at("status"), "Failed");
  EXPECT_EQ(state.at("error").at("errorCode"), "OperationInterrupted");
  EXPECT_NE(Str(state.at("error").at("message")).find("lost"), std::string::npos);
}

}  // namespace
}  // namespace lro::server::test
