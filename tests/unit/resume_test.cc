// Resume tokens (rehydration in another process) and Client::Watch.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

const std::string kFabItems = std::string(kFabric) + "/v1/workspaces/ws1/items";
const std::string kFabOp = std::string(kFabric) + "/v1/operations/op1";
const std::string kJobs = std::string(kSvc) + "/jobs";
const std::string kItem = std::string(kSvc) + "/items/1";
const std::string kOp = std::string(kSvc) + "/operations/op1";

// A second process: a fresh client on its own transport and clock.
struct Elsewhere {
  explicit Elsewhere(const Script& script, CredentialProvider credentials = nullptr)
      : transport(std::make_shared<lro::testing::ScriptedTransport>()),
        clock(std::make_shared<lro::testing::FakeClock>()),
        client([&] {
          Enqueue(*transport, script);
          ClientOptions o = MakeOptions(transport, clock);
          o.credentials = std::move(credentials);
          return o;
        }()) {}
  std::shared_ptr<lro::testing::ScriptedTransport> transport;
  std::shared_ptr<lro::testing::FakeClock> clock;
  Client client;
};

std::string TokenMidFlight(Harness& h, const Request& request, int polls,
                           const OperationOptions& options = {}) {
  Poller p = h.client.Start(request, options);
  for (int i = 0; i < polls; ++i) EXPECT_TRUE(p.Poll().ok());
  EXPECT_FALSE(p.IsDone());
  auto token = p.ResumeToken();
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return token.ok() ? *token : std::string();
}

TEST(ResumeTokenTest, IsVersionedJsonOfKindHttp) {
  Harness h({Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}})});
  std::string token = TokenMidFlight(h, Request::Post(kFabItems), 0);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(token, ec);
  ASSERT_FALSE(ec) << token;
  ASSERT_TRUE(v.is_object()) << token;
  const auto& o = v.as_object();
  ASSERT_TRUE(o.contains("lro"));
  EXPECT_EQ(o.at("lro"), "resume-token");
  ASSERT_TRUE(o.contains("version"));
  EXPECT_EQ(o.at("version").to_number<int>(), 1);
  ASSERT_TRUE(o.contains("kind"));
  EXPECT_EQ(o.at("kind"), "http");
}

TEST(ResumeTest, FabricMidFlightContinuesInANewClient) {
  Harness h({Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "1"}}),
             Json(200, R"({"status":"Running","percentComplete":40})",
                  {{"Location", kFabOp}, {"Retry-After", "1"}})});
  std::string token = TokenMidFlight(h, Request::Post(kFabItems).Json("{}"), 1);

  Elsewhere other(
      {Json(200, R"({"status":"Running","percentComplete":80})", {{"Location", kFabOp}}),
       Json(200, R"({"status":"Succeeded","percentComplete":100})",
            {{"Location", kFabOp + "/result"}}),
       Json(200, R"({"id":"item1"})")});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(other.transport->requests().empty()) << "nothing is sent until the poller polls";
  EXPECT_FALSE(resumed->IsDone());
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"item1"})");
  EXPECT_EQ(Summarize(other.transport->requests()),
            (std::vector<Req>{Get(kFabOp), Get(kFabOp), Get(kFabOp + "/result")}));
}

TEST(ResumeTest, TokenRightAfterStartResumes) {
  Harness h({Resp(202, {{"Operation-Location", kOp}})});
  std::string token = TokenMidFlight(h, Request::Post(kJobs), 0);
  Elsewhere other({Json(200, R"({"status":"Succeeded","result":{"v":1}})")});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(boost::json::parse(outcome->body), boost::json::parse(R"({"v":1})"));
  EXPECT_EQ(Summarize(other.transport->requests()), (std::vector<Req>{Get(kOp)}));
}

TEST(ResumeTest, PutRemembersOriginalUrlForFinalGet) {
  const std::string aao = std::string(kSvc) + "/asyncops/a1";
  const std::string url = kItem + "?api-version=2024-01-01";
  Harness h({Resp(201, {{"Azure-AsyncOperation", aao}}), Json(200, R"({"status":"InProgress"})")});
  std::string token = TokenMidFlight(h, Request::Put(url).Json("{}"), 1);
  Elsewhere other({Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"1"})");
  EXPECT_EQ(Summarize(other.transport->requests()),
            (std::vector<Req>{Get(aao + "?api-version=2024-01-01"), Get(url)}));
}

TEST(ResumeTest, PostRemembersLatestLocation) {
  const std::string r1 = std::string(kSvc) + "/results/r1";
  const std::string r2 = std::string(kSvc) + "/results/r2";
  Harness h({Resp(202, {{"Operation-Location", kOp}, {"Location", r1}}),
             Json(200, R"({"status":"Running"})", {{"Location", r2}})});
  std::string token = TokenMidFlight(h, Request::Post(kJobs), 1);
  Elsewhere other({Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":2})")});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"r":2})");
  EXPECT_EQ(Summarize(other.transport->requests()), (std::vector<Req>{Get(kOp), Get(r2)}));
}

TEST(ResumeTest, ArmLocationAndDeleteResume) {
  const std::string loc = std::string(kSvc) + "/locs/l1";
  Harness h({Resp(202, {{"Location", loc}}), Resp(202)});
  std::string token = TokenMidFlight(h, Request::Delete(kItem), 1);
  Elsewhere other({Resp(202), Resp(204)});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->has_value);
  EXPECT_EQ(Summarize(other.transport->requests()), (std::vector<Req>{Get(loc), Get(loc)}));
}

TEST(ResumeTest, BodyPollingResume) {
  Harness h({Json(201, R"({"properties":{"provisioningState":"Creating"}})")});
  std::string token = TokenMidFlight(h, Request::Put(kItem).Json("{}"), 0);
  Elsewhere other({Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")});
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(Summarize(other.transport->requests()), (std::vector<Req>{Get(kItem)}));
}

TEST(ResumeTest, CallerHeadersAndCredentialScopeSurviveResume) {
  Harness h({Resp(202, {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}})});
  std::string token =
      TokenMidFlight(h, Request::Post(kFabItems).Header("x-ms-client-request-id", "cid-r"), 0);
  Elsewhere other({Json(200, R"({"status":"Succeeded"})")}, []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer new-process"}};
  });
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ASSERT_TRUE(resumed->Wait().ok());
  auto sent = other.transport->requests();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(HeaderOf(sent[0], "x-ms-client-request-id"), "cid-r");
  EXPECT_EQ(HeaderOf(sent[0], "Authorization"), "Bearer new-process")
      << "the monitor is on the initial origin";
}

TEST(ResumeTest, ResumedCredentialScopeStillExcludesForeignHosts) {
  Harness h({Resp(202, {{"Location", "https://other.example.net/v1/operations/op1"},
                        {"x-ms-operation-id", "op1"}})});
  std::string token = TokenMidFlight(h, Request::Post(kFabItems), 0);
  Elsewhere other({Json(200, R"({"status":"Succeeded"})")}, []() -> StatusOr<Headers> {
    return Headers{{"Authorization", "Bearer new-process"}};
  });
  auto resumed = other.client.Resume(token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ASSERT_TRUE(resumed->Wait().ok());
  auto sent = other.transport->requests();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_FALSE(HasHeader(sent[0], "Authorization"));
}

TEST(ResumeTest, TokenOfResumedPollerResumesToo) {
  Harness h({Resp(202, {{"Operation-Location", kOp}})});
  std::string token = TokenMidFlight(h, Request::Post(kJobs), 0);
  Elsewhere second({Json(200, R"({"status":"Running"})")});
  auto p2 = second.client.Resume(token);
  ASSERT_TRUE(p2.ok());
  ASSERT_TRUE(p2->Poll().ok());
  auto token2 = p2->ResumeToken();
  ASSERT_TRUE(token2.ok());
  Elsewhere third({Json(200, R"({"status":"Succeeded","result":{"hop":3}})")});
  auto p3 = third.client.Resume(*token2);
  ASSERT_TRUE(p3.ok()) << p3.status().ToString();
  auto outcome = p3->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(boost::json::parse(outcome->body), boost::json::parse(R"({"hop":3})"));
}

// --- malformed tokens --------------------------------------------------------------------

struct BadToken {
  std::string name;
  std::string token;
  std::string message_has;  // empty: any message
};
void PrintTo(const BadToken& row, std::ostream* os) { *os << row.name; }
class BadTokenTest : public ::testing::TestWithParam<BadToken> {};

TEST_P(BadTokenTest, IsInvalidArgument) {
  Elsewhere other({});
  auto resumed = other.client.Resume(GetParam().token);
  ASSERT_FALSE(resumed.ok());
  EXPECT_EQ(resumed.status().code(), StatusCode::kInvalidArgument) << resumed.status().ToString();
  EXPECT_FALSE(resumed.status().message().empty());
  if (!GetParam().message_has.empty()) {
    EXPECT_NE(resumed.status().message().find(GetParam().message_has), std::string::npos)
        << resumed.status().message();
  }
  EXPECT_TRUE(other.transport->requests().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, BadTokenTest,
    ::testing::Values(
        BadToken{"Empty", "", ""}, BadToken{"NotJson", "not json at all", ""},
        BadToken{"TruncatedJson", R"({"lro":"resume-token","version":1,)", ""},
        BadToken{"JsonArray", "[1,2,3]", ""}, BadToken{"JsonString", R"("resume-token")", ""},
        BadToken{"EmptyObject", "{}", ""},
        BadToken{"WrongMagic", R"({"lro":"something-else","version":1,"kind":"http"})", ""},
        BadToken{"WrongKind", R"({"lro":"resume-token","version":1,"kind":"other"})", "kind"},
        BadToken{"FakePollerKind", R"({"lro":"resume-token","version":1,"kind":"fake"})", "kind"},
        BadToken{"FutureVersion", R"({"lro":"resume-token","version":99,"kind":"http"})",
                 "version"},
        BadToken{"VersionZero", R"({"lro":"resume-token","version":0,"kind":"http"})", "version"},
        BadToken{"VersionAsString", R"({"lro":"resume-token","version":"1","kind":"http"})",
                 "version"},
        BadToken{"MissingVersion", R"({"lro":"resume-token","kind":"http"})", "version"},
        BadToken{"MissingKind", R"({"lro":"resume-token","version":1})", "kind"},
        BadToken{"MissingOperationFields", R"({"lro":"resume-token","version":1,"kind":"http"})",
                 ""}),
    ScenarioName());

TEST(ResumeTest, TamperedMonitorUrlIsRejected) {
  Harness h({Resp(202, {{"Operation-Location", kOp}})});
  std::string token = TokenMidFlight(h, Request::Post(kJobs), 0);
  const std::string needle = kOp;
  auto pos = token.find(needle);
  ASSERT_NE(pos, std::string::npos) << "the token names its monitor: " << token;
  std::string tampered = token;
  tampered.replace(pos, needle.size(), "ftp://evil.example.com/x");
  Elsewhere other({});
  auto resumed = other.client.Resume(tampered);
  if (resumed.ok()) {
    // Accepted at parse time is tolerable only if the bad URL never gets a request.
    auto outcome = resumed->Wait();
    EXPECT_FALSE(outcome.ok());
    for (const auto& r : other.transport->requests()) {
      EXPECT_EQ(r.url.rfind("ftp:", 0), std::string::npos);
    }
  } else {
    EXPECT_EQ(resumed.status().code(), StatusCode::kInvalidArgument);
  }
}

// --- Watch ---------------------------------------------------------------------------------

TEST(WatchTest, FabricStateUrlWithResult) {
  Elsewhere other({Json(200, R"({"status":"Running","percentComplete":50})",
                        {{"Location", kFabOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "2"}}),
                   Json(200, R"({"status":"Succeeded"})", {{"Location", kFabOp + "/result"}}),
                   Json(200, R"({"id":"item1"})")});
  auto watched = other.client.Watch(kFabOp);
  ASSERT_TRUE(watched.ok()) << watched.status().ToString();
  auto outcome = watched->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"item1"})");
  EXPECT_EQ(Summarize(other.transport->requests()),
            (std::vector<Req>{Get(kFabOp), Get(kFabOp), Get(kFabOp + "/result")}));
  std::vector<milliseconds> sleeps = other.clock->sleeps();
  std::erase(sleeps, milliseconds{0});
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{2000ms}));
}

TEST(WatchTest, FabricStateUrlWithoutResult) {
  Elsewhere other({Json(200, R"({"status":"Succeeded"})")});
  auto watched = other.client.Watch(kFabOp);
  ASSERT_TRUE(watched.ok()) << watched.status().ToString();
  auto outcome = watched->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->has_value);
}

TEST(WatchTest, FailedOperation) {
  Elsewhere other({Json(200, R"({"status":"Failed","error":{"errorCode":"Boom","message":"b"}})")});
  auto watched = other.client.Watch(kFabOp);
  ASSERT_TRUE(watched.ok()) << watched.status().ToString();
  auto outcome = watched->Wait();
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationFailed);
  ASSERT_TRUE(outcome.status().service_error().has_value());
  EXPECT_EQ(outcome.status().service_error()->code, "Boom");
}

TEST(WatchTest, InvalidUrlIsInvalidArgument) {
  Elsewhere other({});
  EXPECT_EQ(other.client.Watch("not a url").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(other.client.Watch("/v1/operations/op1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(other.client.Watch("ftp://x.example.com/op").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(other.transport->requests().empty());
}

TEST(WatchTest, WatchedPollerHasResumeToken) {
  Elsewhere first({});
  auto watched = first.client.Watch(kFabOp);
  ASSERT_TRUE(watched.ok());
  auto token = watched->ResumeToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  Elsewhere other({Json(200, R"({"status":"Succeeded"})")});
  auto resumed = other.client.Resume(*token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ASSERT_TRUE(resumed->Wait().ok());
  EXPECT_EQ(Summarize(other.transport->requests()), (std::vector<Req>{Get(kFabOp)}));
}

}  // namespace
}  // namespace lro::test
