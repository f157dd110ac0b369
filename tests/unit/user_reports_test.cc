// What a new user hit (issue 12, section 1): cookies set by a failed initial attempt go with
// the retry; a POST gets an idempotency key by default and is retried like a PUT; a JSON
// answer that does not parse is a protocol error, never a success; Poll() tells a step that
// only scheduled a retry from one that read a state.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/policies/delay.h"
#include "lro/poller.h"
#include "scenario.h"
#include "wire/http_date.h"

namespace lro::test {
namespace {

const std::string kItem = std::string(kSvc) + "/items/1";
const std::string kOp = std::string(kSvc) + "/operations/op1";
const std::string kJobs = std::string(kSvc) + "/jobs";

// The body of the bug report: a PUT answered 200 with JSON cut short.
constexpr char kCutShort[] =
    R"({ "properties": { "provisioningState": "Creating"}, "id": "100", "name": "foo")";

// --- cookies on the initial attempts (SPEC §3, §6) --------------------------------------

TEST(InitialCookiesTest, CookieSetByAFailedAttemptGoesWithTheRetry) {
  Harness h({Resp(500, {{"Set-Cookie", "s=1; Path=/; HttpOnly"}}),
             Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")});
  auto outcome = h.client.Start(Request::Put(kItem).Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_FALSE(HasHeader(sent[0], "Cookie"));
  EXPECT_EQ(HeaderOf(sent[1], "Cookie"), "s=1");
}

TEST(InitialCookiesTest, CallerCookieIsKeptAndJoinedInOneHeader) {
  Harness h({Resp(503, {{"Set-Cookie", "affinity=r2"}}), Json(201, R"({"id":"1"})")});
  auto outcome = h.client.Start(Request::Put(kItem).Header("Cookie", "mine=a").Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(HeaderOf(sent[0], "Cookie"), "mine=a");
  int cookie_headers = 0;
  for (const auto& header : sent[1].headers) {
    if (header.name == "Cookie") ++cookie_headers;
  }
  EXPECT_EQ(cookie_headers, 1);
  EXPECT_EQ(HeaderOf(sent[1], "Cookie"), "mine=a; affinity=r2");
}

TEST(InitialCookiesTest, CookieOfAnotherHostStaysThere) {
  Harness h({Resp(500, {{"Set-Cookie", "s=1"}}),
             Resp(202, {{"Location", "https://other.example.com/locs/1"}}), Resp(204)});
  auto outcome = h.client.Start(Request::Put(kItem).Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(HeaderOf(sent[1], "Cookie"), "s=1");
  EXPECT_FALSE(HasHeader(sent[2], "Cookie")) << "per origin (SPEC §3)";
}

// --- the POST's default idempotency key (SPEC §6) ---------------------------------------

TEST(PostIdempotencyTest, KeylessPostGetsAKeyAndIsRetriedByDefault) {
  Harness h({Resp(500), Json(201, R"({"id":"job-1"})")});
  auto outcome = h.client.Start(Request::Post(kJobs).Json(R"({"n":1})")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"id":"job-1"})");
  const auto sent = h.requests();
  ASSERT_EQ(Summarize(sent), (std::vector<Req>{{"POST", kJobs}, {"POST", kJobs}}));
  const auto id = HeaderOf(sent[0], "Repeatability-Request-ID");
  const auto first_sent = HeaderOf(sent[0], "Repeatability-First-Sent");
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(first_sent.has_value());
  EXPECT_EQ(id->size(), 36U) << *id;
  EXPECT_TRUE(wire::ParseHttpDate(*first_sent).has_value()) << *first_sent;
  EXPECT_EQ(HeaderOf(sent[1], "Repeatability-Request-ID"), id);
  EXPECT_EQ(HeaderOf(sent[1], "Repeatability-First-Sent"), first_sent);
}

TEST(PostIdempotencyTest, OffMeansSentOnceAndNotRetried) {
  Harness h({Resp(500), Json(201, R"({"id":"job-1"})")});
  OperationOptions options;
  options.add_repeatability_headers = false;
  Poller p = h.client.Start(Request::Post(kJobs).Json("{}"), options);
  ASSERT_TRUE(p.IsDone());
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_FALSE(HasHeader(sent[0], "Repeatability-Request-ID"));
  EXPECT_FALSE(HasHeader(sent[0], "Repeatability-First-Sent"));
  EXPECT_EQ(p.Outcome().status().code(), StatusCode::kUnavailable);
  EXPECT_NE(p.Outcome().status().message().find("could run twice"), std::string::npos);
}

struct CallerKey {
  std::string name;
  Headers headers;
};

class CallerKeyTest : public ::testing::TestWithParam<CallerKey> {};

// A caller's own key is sent as given, no second key is added, and the POST is retried.
TEST_P(CallerKeyTest, KeptAsGivenAndRetried) {
  Harness h({Resp(503), Json(201, R"({"id":"job-1"})")});
  Request request = Request::Post(kJobs).Json("{}");
  for (const auto& header : GetParam().headers) request.Header(header.name, header.value);
  auto outcome = h.client.Start(request).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  for (const auto& request_sent : sent) {
    for (const auto& header : GetParam().headers) {
      EXPECT_EQ(HeaderOf(request_sent, header.name), header.value) << header.name;
    }
    if (!FindHeader(GetParam().headers, "Repeatability-Request-ID")) {
      EXPECT_FALSE(HasHeader(request_sent, "Repeatability-Request-ID"));
      EXPECT_FALSE(HasHeader(request_sent, "Repeatability-First-Sent"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Spec6, CallerKeyTest,
    ::testing::Values(CallerKey{"IdempotencyKey", {{"Idempotency-Key", "k-1"}}},
                      CallerKey{"OperationId", {{"Operation-Id", "op-7"}}},
                      CallerKey{
                          "Repeatability",
                          {{"Repeatability-Request-ID", "5ad6c1b2-0000-4000-8000-00000000000a"},
                           {"Repeatability-First-Sent", "Mon, 01 Jan 2024 00:00:00 GMT"}}}),
    ScenarioName());

TEST(PostIdempotencyTest, CallerRequestIdKeptAndFirstSentAdded) {
  Harness h({Resp(503), Json(201, R"({"id":"job-1"})")});
  auto outcome =
      h.client.Start(Request::Post(kJobs).Header("Repeatability-Request-ID", "mine").Json("{}"))
          .Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  for (const auto& request : sent) {
    EXPECT_EQ(HeaderOf(request, "Repeatability-Request-ID"), "mine");
    EXPECT_TRUE(HasHeader(request, "Repeatability-First-Sent"));
  }
}

TEST(PostIdempotencyTest, KeyIsNotCarriedToPolls) {
  Harness h({Resp(202, {{"Operation-Location", kOp}}),
             Json(200, R"({"status":"Succeeded","result":{"ok":1}})")});
  auto outcome = h.client.Start(Request::Post(kJobs).Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const auto sent = h.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_TRUE(HasHeader(sent[0], "Repeatability-Request-ID"));
  EXPECT_FALSE(HasHeader(sent[1], "Repeatability-Request-ID"));
  EXPECT_FALSE(HasHeader(sent[1], "Repeatability-First-Sent"));
}

// --- a JSON answer the protocol must read does not parse (SPEC §3, step 7) ----------------

TEST(UnreadableJsonTest, InitialPutAnsweredWithJsonCutShortIsAProtocolError) {
  Harness h({Json(200, kCutShort)});
  Poller p = h.client.Start(Request::Put(kItem).Json("{}"));
  ASSERT_TRUE(p.IsDone());
  const auto outcome = p.Outcome();
  ASSERT_FALSE(outcome.ok()) << "never a success: " << outcome->body;
  EXPECT_EQ(outcome.status().code(), StatusCode::kProtocolError);
  EXPECT_NE(outcome.status().message().find("does not parse"), std::string::npos)
      << outcome.status().ToString();
  EXPECT_NE(outcome.status().message().find("HTTP 200"), std::string::npos)
      << outcome.status().ToString();
}

TEST(UnreadableJsonTest, InitialPostAnsweredWithBrokenJsonIsAProtocolError) {
  Harness h({Json(201, "{\"id\":")});
  auto outcome = h.client.Start(Request::Post(kJobs).Json("{}")).Wait();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kProtocolError);
}

TEST(UnreadableJsonTest, ABodyThatDoesNotSayJsonStaysBytes) {
  Harness h({Resp(200, {{"Content-Type", "text/plain"}}, "{not json")});
  auto outcome = h.client.Start(Request::Put(kItem).Json("{}")).Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, "{not json");
}

TEST(UnreadableJsonTest, LocationPollAnsweredWithBrokenJsonIsAProtocolError) {
  const std::string loc = std::string(kSvc) + "/locs/1";
  Harness h({Resp(202, {{"Location", loc}}), Json(200, kCutShort)});
  auto outcome = h.client.Start(Request::Delete(kItem)).Wait();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kProtocolError);
  EXPECT_NE(outcome.status().message().find("does not parse"), std::string::npos)
      << outcome.status().ToString();
}

// --- Poll(): a retry scheduled is not a state read ---------------------------------------

TEST(PollStepTest, AStepThatOnlyScheduledARetrySaysWhy) {
  Harness h({Resp(201, {{"Operation-Location", kOp}}), Unavailable("connection refused"),
             Json(200, R"({"status":"Running"})")});
  Poller p = h.client.Start(Request::Put(kItem).Json("{}"));
  const OperationState before = p.State();
  const Status retried = p.Poll();
  EXPECT_EQ(retried.code(), StatusCode::kUnavailable) << retried.ToString();
  EXPECT_NE(retried.message().find("connection refused"), std::string::npos) << retried.ToString();
  EXPECT_FALSE(p.IsDone());
  EXPECT_EQ(p.State(), before);
  EXPECT_EQ(p.Outcome().status().code(), StatusCode::kFailedPrecondition);
  const Status read = p.Poll();
  EXPECT_TRUE(read.ok()) << read.ToString();
  EXPECT_EQ(p.State().status.raw, "Running");
}

}  // namespace
}  // namespace lro::test
