// lrod's endpoints over real HTTP (SPEC §9), driven by the client library and by raw requests
// where the client would hide a detail.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "lro/json.h"
#include "lro/lro.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

TEST(ServerApi, CreationFinishingWithinTheBudgetAnswers201WithTheItem) {
  TempDir dir;
  // The budget outlasts any test: what is answered inline depends on nothing but the work.
  Harness h(Options(dir, std::chrono::hours(1)));
  auto raw = h.Send("POST", kItems, ItemBody("nb-inline", 0));
  EXPECT_EQ(raw.status, 201);
  EXPECT_TRUE(Header(raw, "x-ms-operation-id").empty());
  EXPECT_TRUE(Header(raw, "Location").empty());
  auto item = ParseJson(raw.body).as_object();
  EXPECT_EQ(item.at("displayName").as_string(), "nb-inline");
  EXPECT_EQ(item.at("type").as_string(), "Notebook");
  EXPECT_EQ(item.at("workspaceId").as_string(), "ws1");

  // The client sees a synchronous success, and the item is readable.
  Client client = h.MakeClient();
  auto outcome = client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb2", 30))).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->http_status, 201);
  const auto id = ParseJson(outcome->body).at("id").as_string();
  auto read = h.Send("GET", std::string(kItems) + "/" + std::string(id));
  EXPECT_EQ(read.status, 200);
}

TEST(ServerApi, LongCreationAnswers202WithFabricHeadersAndIsReadableAtOnce) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.public_url = "https://lro.example.com/base/";
  Harness h(options);
  auto raw = h.Send("POST", kItems, ItemBody("nb-long", 60'000),
                    {{"Host", "evil.example.org"}, {"x-ms-client-request-id", "client-1"}});
  ASSERT_EQ(raw.status, 202) << raw.body;
  EXPECT_TRUE(raw.body.empty());
  const std::string id = Header(raw, "x-ms-operation-id");
  EXPECT_TRUE(IsUuidV4(id)) << id;
  EXPECT_EQ(Header(raw, "Location"), "https://lro.example.com/base/v1/operations/" + id);
  EXPECT_EQ(Header(raw, "Retry-After"), "0");
  EXPECT_TRUE(IsUuidV4(Header(raw, "RequestId")));
  EXPECT_EQ(Header(raw, "x-ms-client-request-id"), "client-1");
  EXPECT_EQ(Header(raw, "Access-Control-Expose-Headers"),
            "RequestId,Location,Retry-After,x-ms-operation-id");

  // Readable right after the 202 (durably recorded before it left).
  auto state = h.Send("GET", "/v1/operations/" + id);
  ASSERT_EQ(state.status, 200);
  EXPECT_EQ(Header(state, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(state, "Location"), "https://lro.example.com/base/v1/operations/" + id);
  EXPECT_EQ(Header(state, "x-ms-operation-id"), id);
  EXPECT_EQ(Header(state, "Retry-After"), "0");
  EXPECT_FALSE(Header(state, "RequestId").empty());
  auto body = ParseJson(state.body).as_object();
  EXPECT_EQ(body.size(), 5U);
  EXPECT_TRUE(body.at("status") == "Running" || body.at("status") == "NotStarted");
  EXPECT_TRUE(ParseTimestamp(body.at("createdTimeUtc").as_string()).has_value());
  EXPECT_TRUE(ParseTimestamp(body.at("lastUpdatedTimeUtc").as_string()).has_value());
  EXPECT_TRUE(body.contains("percentComplete"));
  EXPECT_TRUE(body.at("error").is_null());

  // While running, the result endpoint says so.
  auto early = h.Send("GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(early.status, 400);
  EXPECT_EQ(ParseJson(early.body).at("errorCode"), "OperationNotCompleted");
}

TEST(ServerApi, EveryAcceptedOperationIsReadableImmediately) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> accepted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto transport = MakeCurlTransport();
      for (int i = 0; i < 25; ++i) {
        auto created = transport->Send(
            {"POST", h.Url(kItems), {{"Content-Type", "application/json"}}, ItemBody("x", 500)},
            {});
        ASSERT_TRUE(created.ok());
        ASSERT_EQ(created->status, 202);
        ++accepted;
        const std::string id(*FindHeader(created->headers, "x-ms-operation-id"));
        auto state = transport->Send({"GET", h.Url("/v1/operations/" + id), {}, {}}, {});
        ASSERT_TRUE(state.ok());
        EXPECT_EQ(state->status, 200) << state->body;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted, 100);
}

TEST(ServerApi, ClientFollowsProgressToTheResult) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  Client client = h.MakeClient();
  Poller poller = client.Start(
      lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb-progress", 400, R"("progressSteps":4)")));
  std::mutex mutex;
  std::vector<int> seen;
  poller.OnProgress([&](const OperationState& state) {
    std::lock_guard lock(mutex);
    if (state.percent_complete) seen.push_back(*state.percent_complete);
  });
  auto outcome = poller.Wait(Within(std::chrono::seconds(20)));
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->has_value);
  EXPECT_EQ(outcome->http_status, 200);
  EXPECT_TRUE(outcome->IsJson());
  EXPECT_EQ(ParseJson(outcome->body).at("displayName"), "nb-progress");
  std::lock_guard lock(mutex);
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(poller.State().percent_complete, 100);
}

TEST(ServerApi, SucceededStatePointsAtTheResult) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  auto created = h.Send("POST", kItems, ItemBody("nb", 20));
  ASSERT_EQ(created.status, 202);
  const std::string id = Header(created, "x-ms-operation-id");
  auto final_state = WaitTerminal(h, id);
  EXPECT_EQ(final_state.at("status"), "Succeeded");
  EXPECT_EQ(final_state.at("percentComplete"), 100);
  auto state = h.Send("GET", "/v1/operations/" + id);
  EXPECT_EQ(Header(state, "Location"), h.Url("/v1/operations/" + id + "/result"));
  EXPECT_EQ(Header(state, "x-ms-operation-id"), id);
  EXPECT_TRUE(Header(state, "Retry-After").empty());
  auto result = h.Send("GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(Header(result, "Content-Type"), "application/json");
  EXPECT_EQ(ParseJson(result.body).at("displayName"), "nb");
}

TEST(ServerApi, OperationWithoutResultHasNoLocationAndNoResult) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  auto created = h.Send("POST", kItems, ItemBody("nb", 20, R"("noResult":true)"));
  ASSERT_EQ(created.status, 202);
  const std::string id = Header(created, "x-ms-operation-id");
  EXPECT_EQ(WaitTerminal(h, id).at("status"), "Succeeded");
  auto state = h.Send("GET", "/v1/operations/" + id);
  EXPECT_TRUE(Header(state, "Location").empty());
  EXPECT_TRUE(Header(state, "x-ms-operation-id").empty());
  auto result = h.Send("GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(ParseJson(result.body).at("errorCode"), "OperationHasNoResult");

  Client client = h.MakeClient();
  auto outcome =
      client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb", 20, R"("noResult":true)")))
          .Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->has_value);

  // Finishing inline without a result answers 204.
  TempDir dir2;
  Harness inline_h(Options(dir2, std::chrono::hours(1)));
  EXPECT_EQ(inline_h.Send("POST", kItems, ItemBody("nb", 0, R"("noResult":true)")).status, 204);
}

TEST(ServerApi, FailedOperationCarriesTheServiceError) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  const std::string fail =
      R"("failWith":{"errorCode":"QuotaExceeded","message":"too many notebooks",)"
      R"("isRetriable":true,"moreDetails":[{"errorCode":"Limit","message":"max 10"}]})";
  Client client = h.MakeClient();
  auto outcome =
      client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb", 30, fail))).Wait();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationFailed);
  const Status status = outcome.status();
  ASSERT_TRUE(status.service_error());
  const auto& error = *status.service_error();
  EXPECT_EQ(error.code, "QuotaExceeded");
  EXPECT_EQ(error.message, "too many notebooks");
  EXPECT_EQ(error.is_retriable, true);
  ASSERT_EQ(error.details.size(), 1U);
  EXPECT_EQ(error.details[0].code, "Limit");

  // Raw: the state is Failed with the ErrorResponse; the result endpoint answers the error.
  auto created = h.Send("POST", kItems, ItemBody("nb", 0, fail));
  ASSERT_EQ(created.status, 202);  // a failure is reported through the operation, not inline
  const std::string id = Header(created, "x-ms-operation-id");
  auto state = WaitTerminal(h, id);
  EXPECT_EQ(state.at("status"), "Failed");
  EXPECT_EQ(state.at("error").at("errorCode"), "QuotaExceeded");
  auto result = h.Send("GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(ParseJson(result.body).at("errorCode"), "QuotaExceeded");
}

TEST(ServerApi, InvalidInputIs400AndCreatesNoOperation) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  for (const std::string& body :
       {std::string("not json"), std::string(R"({"type":"Notebook"})"),
        std::string(R"({"displayName":"x","type":"Spaceship"})"), ItemBody("x", -1),
        ItemBody("x", std::nullopt, R"("progressSteps":"many")"),
        ItemBody("x", std::nullopt, R"("failWith":{"message":"no code"})")}) {
    auto response = h.Send("POST", kItems, body);
    EXPECT_EQ(response.status, 400) << body;
    auto error = ParseJson(response.body).as_object();
    EXPECT_EQ(error.at("errorCode"), "InvalidInput") << body;
    EXPECT_EQ(Str(error.at("requestId")), Header(response, "RequestId"));
    EXPECT_EQ(error.at("isRetriable"), false);
    EXPECT_EQ(Header(response, "x-ms-public-api-error-code"), "InvalidInput");
    EXPECT_TRUE(Header(response, "x-ms-operation-id").empty());
  }
  auto list = h.Send("GET", "/v1/operations");
  EXPECT_EQ(ParseJson(list.body).at("value").as_array().size(), 0U);
}

TEST(ServerApi, UnknownOperationsAre404EntityNotFound) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  for (const std::string path : {"/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11",
                                 "/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11/result",
                                 "/v1/operations/junk", "/v1/operations/a/b/c"}) {
    auto response = h.Send("GET", path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(ParseJson(response.body).at("errorCode"), "EntityNotFound");
  }
  EXPECT_EQ(h.Send("POST", "/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11:cancel").status,
            404);
  EXPECT_EQ(h.Send("DELETE", "/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11").status, 404);
  EXPECT_EQ(h.Send("GET", "/v2/nothing").status, 404);
  EXPECT_EQ(h.Send("PUT", "/v1/operations/7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11").status, 405);
  EXPECT_EQ(h.Send("DELETE", kItems).status, 405);
}

TEST(ServerApi, ListingShowsTheCallersOperationsWithFiltersAndPages) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  for (int i = 0; i < 5; ++i) {
    auto created = h.Send("POST", kItems, ItemBody("nb" + std::to_string(i), i < 2 ? 0 : 60'000));
    ASSERT_EQ(created.status, 202);  // no inline budget: always 202
    if (i < 2) WaitTerminal(h, Header(created, "x-ms-operation-id"));
  }
  std::vector<std::string> listed;
  std::string path = "/v1/operations?top=2";
  for (int page = 0; page < 10; ++page) {
    auto response = h.Send("GET", path);
    ASSERT_EQ(response.status, 200);
    auto body = ParseJson(response.body).as_object();
    for (const auto& entry : body.at("value").as_array()) {
      listed.emplace_back(entry.at("id").as_string());
      EXPECT_EQ(entry.at("type"), "Item.Create");
      EXPECT_EQ(Str(entry.at("displayName")).rfind("nb", 0), 0U);  // the demo names it
      EXPECT_EQ(Str(entry.at("location")), h.Url("/v1/operations/" + listed.back()));
    }
    if (!body.contains("continuationUri")) break;
    const std::string uri(body.at("continuationUri").as_string());
    path = uri.substr(uri.find("/v1/"));
  }
  EXPECT_EQ(listed.size(), 5U);
  // order=desc: newest first across pages; its continuation links keep the order.
  std::vector<std::string> newest_first;
  path = "/v1/operations?top=2&order=desc";
  for (int page = 0; page < 10; ++page) {
    auto body = ParseJson(h.Send("GET", path).body).as_object();
    for (const auto& entry : body.at("value").as_array()) {
      newest_first.emplace_back(entry.at("id").as_string());
    }
    if (!body.contains("continuationUri")) break;
    const std::string uri(body.at("continuationUri").as_string());
    EXPECT_NE(uri.find("order=desc"), std::string::npos) << uri;
    path = uri.substr(uri.find("/v1/"));
  }
  EXPECT_EQ(newest_first, std::vector<std::string>(listed.rbegin(), listed.rend()));
  EXPECT_EQ(h.Send("GET", "/v1/operations?order=newest").status, 400);
  // The three long ones are Running, or still NotStarted until their first step committed.
  auto all = ParseJson(h.Send("GET", "/v1/operations").body);
  int unfinished = 0;
  for (const auto& entry : all.at("value").as_array()) {
    unfinished += entry.at("status") == "Running" || entry.at("status") == "NotStarted";
  }
  EXPECT_EQ(unfinished, 3);
  auto succeeded = ParseJson(h.Send("GET", "/v1/operations?status=succeeded").body);
  EXPECT_EQ(succeeded.at("value").as_array().size(), 2U);
  EXPECT_EQ(h.Send("GET", "/v1/operations?status=Sleeping").status, 400);
  EXPECT_EQ(h.Send("GET", "/v1/operations?top=0").status, 400);
  EXPECT_EQ(h.Send("GET", "/v1/operations?continuationToken=forged").status, 400);
  auto other_type = ParseJson(h.Send("GET", "/v1/operations?type=Other").body);
  EXPECT_EQ(other_type.at("value").as_array().size(), 0U);
}

TEST(ServerApi, BytesResultsKeepTheirContentType) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)), false, [](Server& server) {
    server.Route("POST", "/v1/exports", {.operation_type = "Export"}, [](const Request&) {
      return Reply::Start([](WorkContext&) {
        return WorkResult::Bytes(std::string("\x00\x01PK", 4), "application/octet-stream");
      });
    });
  });
  Client client = h.MakeClient();
  auto outcome = client.Start(lro::Request::Post(h.Url("/v1/exports"))).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->content_type, "application/octet-stream");
  EXPECT_EQ(outcome->body, std::string("\x00\x01PK", 4));
}

TEST(ServerApi, HandlerAndWorkFailuresAreContained) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)), false, [](Server& server) {
    server.Route("POST", "/v1/throws", {.operation_type = "Throw"},
                 [](const Request&) -> Reply { throw std::runtime_error("handler bug"); });
    server.Route("POST", "/v1/work-throws", {.operation_type = "WorkThrow"}, [](const Request&) {
      return Reply::Start([](WorkContext&) -> WorkResult { throw std::runtime_error("work bug"); });
    });
  });
  auto response = h.Send("POST", "/v1/throws");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ParseJson(response.body).at("errorCode"), "InternalError");
  auto created = h.Send("POST", "/v1/work-throws");
  ASSERT_EQ(created.status, 202);
  auto state = WaitTerminal(h, Header(created, "x-ms-operation-id"));
  EXPECT_EQ(state.at("status"), "Failed");
  EXPECT_EQ(state.at("error").at("errorCode"), "InternalError");
}

TEST(ServerApi, ProgressIsMonotonicAndReaches100) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)), false, [](Server& server) {
    server.Route("POST", "/v1/jobs", {.operation_type = "Job"}, [](const Request&) {
      return Reply::Start([](WorkContext& context) {
        for (int p : {10, 50, 30, 70, 60}) {
          context.ReportProgress(p);
          context.SleepFor(std::chrono::milliseconds(15));
        }
        return WorkResult::NoResult();
      });
    });
  });
  auto created = h.Send("POST", "/v1/jobs");
  ASSERT_EQ(created.status, 202);
  const std::string id = Header(created, "x-ms-operation-id");
  int last = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = ParseJson(h.Send("GET", "/v1/operations/" + id).body).as_object();
    if (!state.at("percentComplete").is_null()) {
      const int percent = static_cast<int>(state.at("percentComplete").as_int64());
      EXPECT_GE(percent, last);
      last = percent;
    }
    if (state.at("status") == "Succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(last, 100);
}

TEST(ServerApi, AzureModeSpeaksOperationLocationAndCanceled) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.mode = Mode::kAzure;
  Harness h(options);
  auto created = h.Send("POST", kItems, ItemBody("nb", 20));
  ASSERT_EQ(created.status, 202);
  const std::string monitor = Header(created, "Operation-Location");
  ASSERT_FALSE(monitor.empty());
  EXPECT_TRUE(Header(created, "Location").empty());
  EXPECT_FALSE(Header(created, "x-ms-request-id").empty());
  const std::string id = monitor.substr(monitor.rfind('/') + 1);
  auto final_state = WaitTerminal(h, id);
  EXPECT_EQ(Str(final_state.at("id")), id);
  EXPECT_EQ(final_state.at("status"), "Succeeded");
  EXPECT_EQ(final_state.at("result").at("displayName"), "nb");

  Client client = h.MakeClient();
  auto outcome = client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb-az", 20))).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(ParseJson(outcome->body).at("displayName"), "nb-az");

  // Cancel: POST {monitor}:cancel answers the monitor; the end is Canceled.
  Poller poller = client.Start(lro::Request::Post(h.Url(kItems)).Json(ItemBody("nb-c", 60'000)));
  ASSERT_FALSE(poller.IsDone());
  ASSERT_TRUE(poller.Cancel().ok());
  auto canceled = poller.Wait(Within(std::chrono::seconds(20)));
  EXPECT_EQ(canceled.status().code(), StatusCode::kOperationCanceled);
  EXPECT_EQ(poller.State().status.raw, "Canceled");

  // Errors have the Azure shape.
  auto bad = h.Send("POST", kItems, "{}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ParseJson(bad.body).at("error").at("code"), "InvalidInput");
  EXPECT_EQ(Header(bad, "x-ms-error-code"), "InvalidInput");
}

}  // namespace
}  // namespace lro::server::test
