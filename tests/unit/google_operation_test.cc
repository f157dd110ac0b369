// Google's long-running operations (AIP-151, SPEC §3 step 6): detection, polling GET
// {version prefix}/{name}, done with response or error, progress from metadata, cancel and
// resume; and the pure readers of src/client/google_operation.
#include "client/protocol/google_operation.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

constexpr char kGoogle[] = "https://svc.googleapis.example.com";
const std::string kCall =
    std::string(kGoogle) + "/v1/projects/p/locations/l/instances?instanceId=i";
const std::string kOpUrl = std::string(kGoogle) + "/v1/projects/p/locations/l/operations/op-1";
constexpr char kRunning[] =
    R"({"name":"projects/p/locations/l/operations/op-1","done":false,
        "metadata":{"@type":"type.googleapis.com/x.OperationMetadata","progressPercent":30}})";

HttpResponse Op(std::string body) { return Json(200, std::move(body)); }

Scenario GoogleRow(std::string name, Script polls, Expect expect) {
  Scenario s{.name = std::move(name), .method = "POST", .url = kCall, .body = R"({"size":1})"};
  s.script.push_back(Op(kRunning));
  s.requests.push_back({"POST", kCall});
  for (auto& step : polls) {
    s.script.push_back(std::move(step));
    s.requests.push_back(Get(kOpUrl));
  }
  s.expect = std::move(expect);
  return s;
}

std::vector<Scenario> Rows() {
  return {
      GoogleRow("DoneWithResponseIsTheResult",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":false})"),
                 Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                        "response":{"@type":"type.googleapis.com/x.Instance","name":"i"}})")},
                {.json = R"({"@type":"type.googleapis.com/x.Instance","name":"i"})",
                 .content_type = "application/json"}),
      GoogleRow("DoneWithErrorIsOperationFailedWithTheRpcCode",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                        "error":{"code":3,"message":"bad size",
                                 "details":[{"@type":"type.googleapis.com/google.rpc.BadRequest"}]}})")},
                {.code = StatusCode::kOperationFailed,
                 .service_code = "INVALID_ARGUMENT",
                 .service_message = "bad size",
                 .message_has = "INVALID_ARGUMENT: bad size"}),
      GoogleRow("ErrorCodeCancelledIsOperationCanceled",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                        "error":{"code":1,"message":"Operation was cancelled"}})")},
                {.code = StatusCode::kOperationCanceled, .service_code = "CANCELLED"}),
      GoogleRow("DoneWithoutResponseHasNoResult",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true})")},
                {.has_value = false}),
      GoogleRow("DoneThatIsNotABooleanIsAProtocolError",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":"yes"})")},
                {.code = StatusCode::kProtocolError, .message_has = "`done` is not a boolean"}),
      GoogleRow("PollAnsweredWithBrokenJsonIsAProtocolError",
                {Op(R"({"name":"projects/p/locations/l/operations/op-1","done":)")},
                {.code = StatusCode::kProtocolError, .message_has = "does not parse"}),
      GoogleRow("TransientPollFailuresAreRetried",
                {Resp(503), Unavailable(),
                 Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                        "response":{"ok":true}})")},
                {.json = R"({"ok":true})"}),
  };
}

class GoogleScenarioTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(GoogleScenarioTest, Runs) { RunAndCheck(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Aip151, GoogleScenarioTest, ::testing::ValuesIn(Rows()), ScenarioName());

TEST(GoogleOperationTest, InitialDoneIsFinishedWithoutAPoll) {
  Harness h({Op(R"({"name":"operations/o","done":true,"response":{"id":7}})")});
  Poller p = h.client.Start(Request::Post(kCall).Json("{}"));
  ASSERT_TRUE(p.IsDone());
  auto outcome = p.Outcome();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":7})");
  EXPECT_EQ(h.requests().size(), 1U);
}

TEST(GoogleOperationTest, RunningReportsProgressFromMetadata) {
  Harness h({Op(kRunning), Op(R"({"name":"projects/p/locations/l/operations/op-1","done":false,
                    "metadata":{"progress_percent":75.5}})"),
             Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,"response":{}})")});
  Poller p = h.client.Start(Request::Post(kCall).Json("{}"));
  ASSERT_FALSE(p.IsDone());
  EXPECT_EQ(p.State().percent_complete, 30);
  EXPECT_FALSE(p.State().status.terminal());
  ASSERT_TRUE(p.Poll().ok());
  EXPECT_EQ(p.State().status.raw, "Running");
  EXPECT_EQ(p.State().percent_complete, 75);
  ASSERT_TRUE(p.Poll().ok());
  ASSERT_TRUE(p.IsDone());
  EXPECT_EQ(p.State().status.kind, StatusKind::kSucceeded);
}

TEST(GoogleOperationTest, CancelPostsNameColonCancel) {
  Harness h({Op(kRunning), Json(200, "{}"),
             Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                    "error":{"code":1,"message":"cancelled"}})")});
  Poller p = h.client.Start(Request::Post(kCall).Json("{}"));
  ASSERT_TRUE(p.Cancel().ok());
  auto outcome = p.Wait();
  EXPECT_EQ(outcome.status().code(), StatusCode::kOperationCanceled) << outcome.status().ToString();
  EXPECT_EQ(Summarize(h.requests()),
            (std::vector<Req>{{"POST", kCall}, {"POST", kOpUrl + ":cancel"}, Get(kOpUrl)}));
}

TEST(GoogleOperationTest, ResumeTokenGoesOnInAnotherClient) {
  Harness h({Op(kRunning)});
  Poller p = h.client.Start(Request::Post(kCall).Json("{}"));
  auto token = p.ResumeToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_NE(token->find(R"("mode":"google")"), std::string::npos) << *token;

  Harness other({Op(R"({"name":"projects/p/locations/l/operations/op-1","done":true,
                        "response":{"name":"i"}})")});
  auto resumed = other.client.Resume(*token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto outcome = resumed->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"name":"i"})");
  EXPECT_EQ(Summarize(other.requests()), (std::vector<Req>{Get(kOpUrl)}));
}

TEST(GoogleOperationTest, WatchedOperationUrlIsReadAsAGoogleOperation) {
  Harness h({Op(R"({"name":"operations/o","done":false})"),
             Op(R"({"name":"operations/o","done":true,"response":{"v":1}})")});
  auto watched = h.client.Watch(std::string(kGoogle) + "/v1/operations/o");
  ASSERT_TRUE(watched.ok());
  auto outcome = watched->Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"v":1})");
}

TEST(GoogleOperationTest, ModeGoogleAcceptsABodyWithoutDone) {
  OperationOptions options;
  options.mode = PollingMode::kGoogle;
  Harness h({Op(R"({"name":"operations/o"})"),
             Op(R"({"name":"operations/o","done":true,"response":{"v":2}})")});
  auto outcome = h.client.Start(Request::Post(kCall).Json("{}"), options).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"v":2})");
  EXPECT_EQ(h.requests().back().url, std::string(kGoogle) + "/v1/operations/o");
}

TEST(GoogleOperationTest, AResourceWithANameIsNotAnOperation) {
  Harness h({Op(R"({"name":"foo","id":"1"})")});
  auto outcome = h.client.Start(Request::Post(kCall).Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"name":"foo","id":"1"})");
  EXPECT_EQ(h.requests().size(), 1U);
}

// --- the pure readers -----------------------------------------------------------------------

struct UrlRow {
  std::string call;
  std::string name;
  std::string expected;  // empty: an error
};

class GoogleOperationUrlTest : public ::testing::TestWithParam<UrlRow> {};
TEST_P(GoogleOperationUrlTest, Builds) {
  const auto url = internal::GoogleOperationUrl(GetParam().call, GetParam().name);
  if (GetParam().expected.empty()) {
    EXPECT_FALSE(url.ok()) << *url;
    return;
  }
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url, GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(
    Aip151, GoogleOperationUrlTest,
    ::testing::Values(UrlRow{"https://x.googleapis.com/v1/projects/p/things", "operations/abc",
                             "https://x.googleapis.com/v1/operations/abc"},
                      UrlRow{"https://x.googleapis.com/v1beta2/projects/p/things:run?alt=json",
                             "projects/p/operations/abc",
                             "https://x.googleapis.com/v1beta2/projects/p/operations/abc"},
                      UrlRow{"https://x.example.com/api/v2/things", "/operations/o",
                             "https://x.example.com/api/v2/operations/o"},
                      UrlRow{"http://127.0.0.1:8080/things", "operations/o",
                             "http://127.0.0.1:8080/v1/operations/o"},
                      UrlRow{"https://x.googleapis.com/v1/things", "", ""},
                      UrlRow{"https://x.googleapis.com/v1/things", "../admin", ""},
                      UrlRow{"https://x.googleapis.com/v1/things", "operations/o?x=1", ""},
                      UrlRow{"https://x.googleapis.com/v1/things", "https://evil.example.com/o",
                             ""}));

TEST(ReadGoogleOperationTest, ReadsEachField) {
  const auto body = boost::json::parse(
      R"({"name":"operations/o","done":true,"metadata":{"progressPercent":140},
          "error":{"code":5,"message":"gone","details":[{"@type":"t"}]}})");
  const auto operation = internal::ReadGoogleOperation(body);
  ASSERT_TRUE(operation.ok()) << operation.status().ToString();
  EXPECT_EQ(operation->name, "operations/o");
  EXPECT_TRUE(operation->done);
  EXPECT_EQ(operation->percent_complete, 100);
  EXPECT_EQ(operation->rpc_code, 5);
  ASSERT_TRUE(operation->error.has_value());
  EXPECT_EQ(operation->error->code, "NOT_FOUND");
  EXPECT_EQ(operation->error->message, "gone");
  EXPECT_EQ(operation->error->inner_error_json, R"([{"@type":"t"}])");
}

TEST(ReadGoogleOperationTest, RejectsWhatIsNotAnOperation) {
  for (const char* text : {R"([])", R"({"name":1})", R"({"name":"o","done":1})",
                           R"({"name":"o","done":true,"error":"boom"})",
                           R"({"name":"o","done":true,"error":{"code":"x"}})"}) {
    EXPECT_FALSE(internal::ReadGoogleOperation(boost::json::parse(text)).ok()) << text;
  }
  EXPECT_FALSE(internal::IsGoogleOperation(boost::json::parse(R"({"name":"o"})")));
  EXPECT_TRUE(internal::IsGoogleOperation(boost::json::parse(R"({"name":"o","done":false})")));
}

}  // namespace
}  // namespace lro::test
