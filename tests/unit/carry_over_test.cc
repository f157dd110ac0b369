// SPEC §3 "what carries over": caller headers, server cookies and api-version go on every
// later request of the operation.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

const std::string kItem = std::string(kSvc) + "/items/1";
const std::string kOp = std::string(kSvc) + "/operations/op1";

// Every cookie pair ("name=value") a request carries, over all its Cookie headers.
std::set<std::string> CookiesOf(const HttpRequest& request) {
  std::set<std::string> out;
  for (const auto& h : request.headers) {
    std::string name = h.name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "cookie") continue;
    std::size_t start = 0;
    while (start <= h.value.size()) {
      std::size_t end = h.value.find(';', start);
      if (end == std::string::npos) end = h.value.size();
      std::string pair = h.value.substr(start, end - start);
      while (!pair.empty() && pair.front() == ' ') pair.erase(0, 1);
      while (!pair.empty() && pair.back() == ' ') pair.pop_back();
      if (!pair.empty()) out.insert(pair);
      start = end + 1;
    }
  }
  return out;
}

TEST(CarryOverTest, CallerHeadersOnEveryLaterRequestButNotContentType) {
  Harness h({Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Running"})"),
             Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")});
  Poller p = h.client.Start(Request::Put(kItem)
                                .Json(R"({"name":"x"})")
                                .Header("x-ms-client-request-id", "cid-1")
                                .Header("x-custom", "custom-value"));
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto sent = h.requests();
  ASSERT_EQ(Summarize(sent), (std::vector<Req>{{"PUT", kItem}, Get(kOp), Get(kOp), Get(kItem)}));
  EXPECT_EQ(HeaderOf(sent[0], "Content-Type"), "application/json");
  EXPECT_EQ(sent[0].body, R"({"name":"x"})");
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i) + " " + sent[i].url);
    EXPECT_EQ(HeaderOf(sent[i], "x-ms-client-request-id"), "cid-1");
    EXPECT_EQ(HeaderOf(sent[i], "x-custom"), "custom-value");
    if (i > 0) {
      EXPECT_FALSE(HasHeader(sent[i], "Content-Type")) << "body headers stay on the initial";
      EXPECT_TRUE(sent[i].body.empty());
    }
  }
}

TEST(CarryOverTest, NonCredentialCallerHeadersFollowCrossHostLinks) {
  const std::string redirect = "https://wabi-west-europe-redirect.analysis.windows.net";
  Harness h(
      {Resp(202, {{"Location", redirect + "/v1/operations/op1"}, {"x-ms-operation-id", "op1"}}),
       Json(200, R"({"status":"Succeeded"})",
            {{"Location", redirect + "/v1/operations/op1/result"}}),
       Json(200, R"({"id":"item1"})")});
  Poller p = h.client.Start(Request::Post(std::string(kFabric) + "/v1/workspaces/w/items")
                                .Json("{}")
                                .Header("x-ms-client-request-id", "cid-2"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(HeaderOf(sent[1], "x-ms-client-request-id"), "cid-2");
  EXPECT_EQ(HeaderOf(sent[2], "x-ms-client-request-id"), "cid-2");
}

TEST(CarryOverTest, ServerCookiesSentOnEveryLaterRequest) {
  const std::string result = std::string(kSvc) + "/results/r1";
  Harness h({Resp(202, {{"Operation-Location", kOp},
                        {"Location", result},
                        {"Set-Cookie", "ARRAffinity=abc123; Path=/; HttpOnly; Secure"}}),
             Json(200, R"({"status":"Running"})", {{"Set-Cookie", "session=s1; Path=/; Secure"}}),
             Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":1})")});
  Poller p = h.client.Start(Request::Post(std::string(kSvc) + "/jobs").Json("{}"));
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto sent = h.requests();
  ASSERT_EQ(
      Summarize(sent),
      (std::vector<Req>{{"POST", std::string(kSvc) + "/jobs"}, Get(kOp), Get(kOp), Get(result)}));
  EXPECT_TRUE(CookiesOf(sent[0]).empty());
  EXPECT_EQ(CookiesOf(sent[1]), (std::set<std::string>{"ARRAffinity=abc123"}));
  EXPECT_EQ(CookiesOf(sent[2]), (std::set<std::string>{"ARRAffinity=abc123", "session=s1"}));
  EXPECT_EQ(CookiesOf(sent[3]), (std::set<std::string>{"ARRAffinity=abc123", "session=s1"}));
}

TEST(CarryOverTest, LaterSetCookieReplacesValue) {
  Harness h({Resp(202, {{"Operation-Location", kOp}, {"Set-Cookie", "ARRAffinity=first; Path=/"}}),
             Json(200, R"({"status":"Running"})", {{"Set-Cookie", "ARRAffinity=second; Path=/"}}),
             Json(200, R"({"status":"Succeeded","result":{}})")});
  Poller p = h.client.Start(Request::Post(std::string(kSvc) + "/jobs"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(CookiesOf(sent[1]), (std::set<std::string>{"ARRAffinity=first"}));
  EXPECT_EQ(CookiesOf(sent[2]), (std::set<std::string>{"ARRAffinity=second"}));
}

TEST(CarryOverTest, FabricAffinityCookieOnStateAndResultRequests) {
  const std::string op = std::string(kFabric) + "/v1/operations/op1";
  Harness h({Resp(202, {{"Location", op},
                        {"x-ms-operation-id", "op1"},
                        {"Set-Cookie", "affinity=node-7; Path=/; HttpOnly"}}),
             Json(200, R"({"status":"Succeeded"})", {{"Location", op + "/result"}}),
             Json(200, R"({"id":"item1"})")});
  Poller p = h.client.Start(Request::Post(std::string(kFabric) + "/v1/workspaces/w/items"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(CookiesOf(sent[1]), (std::set<std::string>{"affinity=node-7"}));
  EXPECT_EQ(CookiesOf(sent[2]), (std::set<std::string>{"affinity=node-7"}));
}

// api-version propagation, as a table.
class ApiVersionTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(ApiVersionTest, Runs) { RunAndCheck(GetParam()); }

std::vector<Scenario> ApiVersionRows() {
  const std::string svc = kSvc;
  const std::string q = "?api-version=2024-01-01";
  return {
      {.name = "AddedToPollAndKeptOnFinalGet",
       .method = "PUT",
       .url = kItem + q,
       .body = "{}",
       .script = {Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Succeeded"})"),
                  Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", kItem + q}, Get(kOp + q), Get(kItem + q)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "ServerApiVersionNeverReplaced",
       .method = "PUT",
       .url = kItem + q,
       .script = {Resp(201, {{"Operation-Location", kOp + "?api-version=2023-10-01-preview"}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", kItem + q},
                    Get(kOp + "?api-version=2023-10-01-preview"),
                    Get(kItem + q)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "AppendedAfterOtherQueryParameters",
       .method = "PUT",
       .url = kItem + q,
       .script = {Resp(201, {{"Operation-Location", kOp + "?sig=abc"}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", kItem + q},
                    Get(kOp + "?sig=abc&api-version=2024-01-01"),
                    Get(kItem + q)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "TurnedOffByOption",
       .method = "PUT",
       .url = kItem + q,
       .script = {Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Succeeded"})"),
                  Json(200, R"({"id":"1"})")},
       .options = {.propagate_api_version = false},
       .requests = {{"PUT", kItem + q}, Get(kOp), Get(kItem + q)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "AddedToAzureAsyncOperationAndFinalLocation",
       .method = "POST",
       .url = svc + "/jobs" + q,
       .script = {Resp(202, {{"Azure-AsyncOperation", svc + "/asyncops/a1"},
                             {"Location", svc + "/results/r1"}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":1})")},
       .requests = {{"POST", svc + "/jobs" + q},
                    Get(svc + "/asyncops/a1" + q),
                    Get(svc + "/results/r1" + q)},
       .expect = {.json = R"({"r":1})"}},
      {.name = "AddedToArmLocationPolls",
       .method = "DELETE",
       .url = kItem + q,
       .script = {Resp(202, {{"Location", svc + "/locs/l1"}}), Resp(202), Resp(204)},
       .requests = {{"DELETE", kItem + q}, Get(svc + "/locs/l1" + q), Get(svc + "/locs/l1" + q)},
       .expect = {.has_value = false}},
      {.name = "NothingAddedWithoutInitialApiVersion",
       .method = "PUT",
       .url = kItem,
       .script = {Resp(201, {{"Operation-Location", kOp}}), Json(200, R"({"status":"Succeeded"})"),
                  Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", kItem}, Get(kOp), Get(kItem)},
       .expect = {.json = R"({"id":"1"})"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Spec3, ApiVersionTest, ::testing::ValuesIn(ApiVersionRows()),
                         ScenarioName());

}  // namespace
}  // namespace lro::test
