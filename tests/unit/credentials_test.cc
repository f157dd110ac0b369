// SPEC §8: credentials go only to the initial origin or allowed hosts, never down to http,
// and never into a resume token or a log line.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

constexpr char kBearer[] = "Bearer x-secret-token";
constexpr char kApiKey[] = "secret-key-123";

CredentialProvider Bearer() {
  return []() -> StatusOr<Headers> { return Headers{{"Authorization", kBearer}}; };
}

struct CredRow {
  std::string name;
  std::string initial;
  std::string location;  // the state URL the 202 points at
  std::vector<std::string> allowed;
  bool poll_gets_credentials;
};
void PrintTo(const CredRow& row, std::ostream* os) { *os << row.name; }

class CredentialScopeTest : public ::testing::TestWithParam<CredRow> {};

TEST_P(CredentialScopeTest, CredentialsOnlyWhereAllowed) {
  const CredRow& row = GetParam();
  Harness h({Resp(202, {{"Location", row.location}, {"x-ms-operation-id", "op1"}}),
             Json(200, R"({"status":"Running"})",
                  {{"Location", row.location}, {"x-ms-operation-id", "op1"}}),
             Json(200, R"({"status":"Succeeded"})", {{"Location", row.location + "/result"}}),
             Json(200, R"({"id":"item1"})")},
            std::nullopt, std::nullopt, Bearer(), row.allowed);
  Poller p = h.client.Start(Request::Post(row.initial)
                                .Json("{}")
                                .Header("api-key", kApiKey)
                                .Header("x-ms-client-request-id", "cid"));
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_EQ(HeaderOf(sent[0], "Authorization"), kBearer) << "the initial origin gets them";
  EXPECT_EQ(HeaderOf(sent[0], "api-key"), kApiKey);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    SCOPED_TRACE(sent[i].url);
    EXPECT_EQ(HasHeader(sent[i], "Authorization"), row.poll_gets_credentials);
    EXPECT_EQ(HasHeader(sent[i], "api-key"), row.poll_gets_credentials);
    if (row.poll_gets_credentials) {
      EXPECT_EQ(HeaderOf(sent[i], "Authorization"), kBearer);
      EXPECT_EQ(HeaderOf(sent[i], "api-key"), kApiKey);
    }
    EXPECT_EQ(HeaderOf(sent[i], "x-ms-client-request-id"), "cid") << "not a credential";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Spec8, CredentialScopeTest,
    ::testing::Values(
        CredRow{"SameOrigin",
                "https://api.example.com/v1/items",
                "https://api.example.com/v1/operations/op1",
                {},
                true},
        CredRow{"CrossHost",
                "https://api.example.com/v1/items",
                "https://other.example.net/v1/operations/op1",
                {},
                false},
        CredRow{"CrossHostAllowedByWildcard",
                "https://api.example.com/v1/items",
                "https://west.example.com/v1/operations/op1",
                {"*.example.com"},
                true},
        CredRow{"CrossHostAllowedExactly",
                "https://api.example.com/v1/items",
                "https://other.example.net/v1/operations/op1",
                {"other.example.net"},
                true},
        CredRow{"CrossHostNotMatchingAllowList",
                "https://api.example.com/v1/items",
                "https://other.example.net/v1/operations/op1",
                {"*.example.com"},
                false},
        CredRow{"DowngradeToHttpSameHost",
                "https://api.example.com/v1/items",
                "http://api.example.com/v1/operations/op1",
                {},
                false},
        CredRow{"DowngradeToHttpAllowedHost",
                "https://api.example.com/v1/items",
                "http://west.example.com/v1/operations/op1",
                {"*.example.com"},
                false},
        CredRow{"OtherPortIsOtherOrigin",
                "https://api.example.com/v1/items",
                "https://api.example.com:8443/v1/operations/op1",
                {},
                false},
        CredRow{"FabricRegionalClusterAllowed",
                "https://api.fabric.microsoft.com/v1/items",
                "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/op1",
                {"*.analysis.windows.net"},
                true},
        CredRow{"FabricRegionalClusterNotAllowed",
                "https://api.fabric.microsoft.com/v1/items",
                "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/op1",
                {},
                false}),
    ScenarioName());

TEST(CredentialTest, RelativeLocationIsSameOrigin) {
  Harness h({Resp(202, {{"Location", "/v1/operations/op1"}, {"x-ms-operation-id", "op1"}}),
             Json(200, R"({"status":"Succeeded"})")},
            std::nullopt, std::nullopt, Bearer());
  Poller p = h.client.Start(Request::Post("https://api.example.com/v1/items"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[1].url, "https://api.example.com/v1/operations/op1");
  EXPECT_EQ(HeaderOf(sent[1], "Authorization"), kBearer);
}

TEST(CredentialTest, DecidedPerRequestBackOnOriginAfterForeignHost) {
  // The monitor lives elsewhere, the result is back on the initial origin.
  Harness h({Resp(202, {{"Operation-Location", "https://monitor.example.net/ops/1"},
                        {"Location", "https://api.example.com/results/1"}}),
             Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":1})")},
            std::nullopt, std::nullopt, Bearer());
  Poller p = h.client.Start(Request::Post("https://api.example.com/jobs"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(Summarize(sent), (std::vector<Req>{{"POST", "https://api.example.com/jobs"},
                                               Get("https://monitor.example.net/ops/1"),
                                               Get("https://api.example.com/results/1")}));
  EXPECT_TRUE(HasHeader(sent[0], "Authorization"));
  EXPECT_FALSE(HasHeader(sent[1], "Authorization"));
  EXPECT_EQ(HeaderOf(sent[2], "Authorization"), kBearer);
}

TEST(CredentialTest, CallerAuthorizationHeaderIsScopedToo) {
  Harness h(
      {Resp(202, {{"Location", "https://other.example.net/ops/1"}, {"x-ms-operation-id", "1"}}),
       Json(200, R"({"status":"Succeeded"})")});
  Poller p = h.client.Start(Request::Post("https://api.example.com/items")
                                .Header("Authorization", "Bearer caller-token")
                                .Header("Ocp-Apim-Subscription-Key", "sub-key-1"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(HeaderOf(sent[0], "Authorization"), "Bearer caller-token");
  EXPECT_EQ(HeaderOf(sent[0], "Ocp-Apim-Subscription-Key"), "sub-key-1");
  EXPECT_FALSE(HasHeader(sent[1], "Authorization"));
  EXPECT_FALSE(HasHeader(sent[1], "Ocp-Apim-Subscription-Key"));
}

TEST(CredentialTest, ConfiguredSensitiveHeaderIsScopedAndNeverInToken) {
  auto transport = std::make_shared<lro::testing::ScriptedTransport>();
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Enqueue(*transport,
          {Resp(202, {{"Location", "https://other.example.net/ops/1"}, {"x-ms-operation-id", "1"}}),
           Json(200, R"({"status":"Running"})"), Json(200, R"({"status":"Succeeded"})")});
  ClientOptions options = MakeOptions(transport, clock);
  options.sensitive_headers = {"X-My-Secret"};
  Client client(options);
  Poller p = client.Start(
      Request::Post("https://api.example.com/items").Header("x-my-secret", "my-secret-value"));
  ASSERT_TRUE(p.Poll().ok());
  auto token = p.ResumeToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->find("my-secret-value"), std::string::npos) << *token;
  ASSERT_TRUE(p.Wait().ok());
  auto sent = transport->requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(HeaderOf(sent[0], "x-my-secret"), "my-secret-value");
  EXPECT_FALSE(HasHeader(sent[1], "x-my-secret"));
  EXPECT_FALSE(HasHeader(sent[2], "x-my-secret"));
}

TEST(CredentialTest, ResumeTokenAndLogsNeverHoldCredentials) {
  std::mutex mu;
  std::vector<std::string> logs;
  auto transport = std::make_shared<lro::testing::ScriptedTransport>();
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Enqueue(*transport,
          {Resp(202, {{"Location", "https://api.example.com/v1/operations/op1"},
                      {"x-ms-operation-id", "op1"}}),
           Json(200, R"({"status":"Running"})"), Json(200, R"({"status":"Succeeded"})")});
  ClientOptions options = MakeOptions(transport, clock);
  options.credentials = Bearer();
  options.log = [&](LogLevel, std::string_view line) {
    std::lock_guard lock(mu);
    logs.emplace_back(line);
  };
  Client client(options);
  Poller p = client.Start(Request::Post("https://api.example.com/v1/items")
                              .Header("api-key", kApiKey)
                              .Header("Authorization", "Bearer caller-secret")
                              .Header("Cookie", "auth=cookie-secret"));
  auto token0 = p.ResumeToken();
  ASSERT_TRUE(p.Poll().ok());
  auto token1 = p.ResumeToken();
  ASSERT_TRUE(p.Wait().ok());
  for (const auto& token : {token0, token1}) {
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    for (const char* secret : {"x-secret-token", kApiKey, "caller-secret", "cookie-secret"}) {
      EXPECT_EQ(token->find(secret), std::string::npos) << secret << " in " << *token;
    }
  }
  std::lock_guard lock(mu);
  for (const auto& line : logs) {
    for (const char* secret : {"x-secret-token", kApiKey, "caller-secret", "cookie-secret"}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << secret << " in log: " << line;
    }
  }
}

TEST(CredentialTest, CancelRequestsAreScopedLikeAnyOther) {
  // Monitor on the initial origin: its :cancel gets credentials.
  Harness same({Resp(202, {{"Operation-Location", "https://api.example.com/ops/1"}}),
                Json(200, R"({"status":"Canceling"})")},
               std::nullopt, std::nullopt, Bearer());
  Poller a = same.client.Start(Request::Post("https://api.example.com/jobs"));
  ASSERT_TRUE(a.Cancel().ok());
  auto sent = same.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[1].url, "https://api.example.com/ops/1:cancel");
  EXPECT_EQ(HeaderOf(sent[1], "Authorization"), kBearer);

  // A custom cancel request to a foreign host does not.
  Harness foreign({Resp(202, {{"Operation-Location", "https://api.example.com/ops/1"}}), Resp(202)},
                  std::nullopt, std::nullopt, Bearer());
  OperationOptions options;
  options.cancel_style = CancelStyle::kCustom;
  options.cancel_request = HttpRequest{"POST", "https://jobs.other.net/cancel/1", {}, {}};
  Poller b = foreign.client.Start(Request::Post("https://api.example.com/jobs"), options);
  ASSERT_TRUE(b.Cancel().ok());
  sent = foreign.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[1].url, "https://jobs.other.net/cancel/1");
  EXPECT_FALSE(HasHeader(sent[1], "Authorization"));
}

TEST(CredentialTest, ProviderCalledForCredentialedRequestsOnly) {
  int calls = 0;
  CredentialProvider counting = [&calls]() -> StatusOr<Headers> {
    ++calls;
    return Headers{{"Authorization", "Bearer t" + std::to_string(calls)}};
  };
  Harness h({Resp(202, {{"Location", "https://api.example.com/v1/operations/op1"},
                        {"x-ms-operation-id", "op1"}}),
             Json(200, R"({"status":"Running"})"), Json(200, R"({"status":"Succeeded"})")},
            std::nullopt, std::nullopt, counting);
  Poller p = h.client.Start(Request::Post("https://api.example.com/v1/items"));
  ASSERT_TRUE(p.Wait().ok());
  auto sent = h.requests();
  ASSERT_EQ(sent.size(), 3U);
  // Called before every request that may carry credentials, so tokens can refresh.
  EXPECT_EQ(HeaderOf(sent[0], "Authorization"), "Bearer t1");
  EXPECT_EQ(HeaderOf(sent[1], "Authorization"), "Bearer t2");
  EXPECT_EQ(HeaderOf(sent[2], "Authorization"), "Bearer t3");
}

}  // namespace
}  // namespace lro::test
