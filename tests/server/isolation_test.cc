// Isolation between callers over HTTP, with bearer tokens: another caller's finished operation
// is invisible to every endpoint (state, result, cancel, DELETE, list, event stream) exactly as
// an unknown one is, and the same idempotency key sent by two callers makes two operations,
// each caller's replays naming their own.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "event_stream_reader.h"
#include "server_test_support.h"
#include "wire/http_date.h"

namespace lro::server::test {
namespace {

const Headers kAlice{{"Authorization", "Bearer token-alice-123"}};
const Headers kBob{{"Authorization", "Bearer token-bob-4567"}};
constexpr std::string_view kUnknown = "7b1c64d2-2a5f-4b8e-9f41-2f2a9f1e0c11";

ServerOptions TwoCallers(const TempDir& dir) {
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.bearer_tokens = {{"token-alice-123", "alice"}, {"token-bob-4567", "bob"}};
  return options;
}

// An error body without its request id: what must not differ between "someone else's" and
// "nobody's".
boost::json::object WithoutRequestId(const HttpResponse& response) {
  auto body = ParseJson(response.body).as_object();
  body.erase("requestId");
  return body;
}

TEST(Isolation, AnotherCallersFinishedOperationIsAnsweredAsAnUnknownOne) {
  TempDir dir;
  Harness h(TwoCallers(dir));
  StreamReader bobs_events(h.server().port(), "token-bob-4567");
  ASSERT_TRUE(bobs_events.ReadUntil(": subscribed\n\n")) << bobs_events.received();

  auto created = h.Send("POST", kItems, ItemBody("alice's", 10), kAlice);
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = Header(created, "x-ms-operation-id");
  ASSERT_EQ(WaitTerminal(h, id, kAlice).at("status"), "Succeeded");

  struct Probe {
    std::string method;
    std::string suffix;
  };
  for (const Probe& probe :
       {Probe{"GET", ""}, Probe{"GET", "/result"}, Probe{"POST", ":cancel"}, Probe{"DELETE", ""}}) {
    const auto theirs = h.Send(probe.method, "/v1/operations/" + id + probe.suffix, "", kBob);
    const auto nobodys =
        h.Send(probe.method, "/v1/operations/" + std::string(kUnknown) + probe.suffix, "", kBob);
    EXPECT_EQ(theirs.status, 404) << probe.method << " " << probe.suffix;
    EXPECT_EQ(theirs.status, nobodys.status);
    EXPECT_EQ(WithoutRequestId(theirs), WithoutRequestId(nobodys)) << theirs.body;
    EXPECT_EQ(theirs.body.find(id), std::string::npos) << theirs.body;
  }
  for (const std::string query : {"", "?status=Succeeded", "?type=Item.Create&top=1000"}) {
    const auto list = h.Send("GET", "/v1/operations" + query, "", kBob);
    ASSERT_EQ(list.status, 200);
    EXPECT_TRUE(ParseJson(list.body).at("value").as_array().empty()) << list.body;
  }
  // Bob's attempts changed nothing for alice.
  const auto result = h.Send("GET", "/v1/operations/" + id + "/result", "", kAlice);
  EXPECT_EQ(result.status, 200);
  EXPECT_NE(result.body.find("alice's"), std::string::npos) << result.body;

  // Bob's stream carries his own operation's end, and nothing of alice's before it.
  const std::string bobs =
      Header(h.Send("POST", kItems, ItemBody("bob's", 10), kBob), "x-ms-operation-id");
  ASSERT_TRUE(bobs_events.ReadUntil("\"id\":\"" + bobs +
                                    "\",\"type\":\"Item.Create\",\"displayName\":\"bob's\","
                                    "\"status\":\"Succeeded\""))
      << bobs_events.received();
  EXPECT_EQ(bobs_events.received().find(id), std::string::npos) << bobs_events.received();
}

TEST(Isolation, OneIdempotencyKeyFromTwoCallersMakesTwoOperations) {
  TempDir dir;
  Harness h(TwoCallers(dir));
  // Failing operations: a replay answers 202 naming the operation whether it runs or ended.
  const std::string body = ItemBody("shared", 10, R"("failWith":{"errorCode":"Planned"})");
  const std::string first_sent = wire::ImfFixdate(std::chrono::system_clock::now());
  const std::vector<Headers> keys = {
      {{"Idempotency-Key", "\"the-same-key\""}},
      {{"Repeatability-Request-ID", "the-same-key"}, {"Repeatability-First-Sent", first_sent}},
      {{"Operation-Id", "the-same-key"}},
  };
  for (const Headers& key : keys) {
    auto send = [&](const Headers& caller) {
      Headers headers = caller;
      headers.insert(headers.end(), key.begin(), key.end());
      const auto answer = h.Send("POST", kItems, body, headers);
      EXPECT_EQ(answer.status, 202) << key.front().name << ": " << answer.body;
      return Header(answer, "x-ms-operation-id");
    };
    const std::string alices = send(kAlice);
    const std::string bobs = send(kBob);
    ASSERT_FALSE(alices.empty());
    EXPECT_NE(alices, bobs) << key.front().name;
    // Each caller's replay names their own operation, before and after it ended.
    EXPECT_EQ(send(kAlice), alices);
    EXPECT_EQ(send(kBob), bobs);
    EXPECT_EQ(WaitTerminal(h, alices, kAlice).at("status"), "Failed");
    EXPECT_EQ(WaitTerminal(h, bobs, kBob).at("status"), "Failed");
    EXPECT_EQ(send(kBob), bobs);
    EXPECT_EQ(send(kAlice), alices);
    // Neither sees the other's.
    EXPECT_EQ(h.Send("GET", "/v1/operations/" + bobs, "", kAlice).status, 404);
    EXPECT_EQ(h.Send("GET", "/v1/operations/" + alices, "", kBob).status, 404);
  }
  for (const Headers* caller : {&kAlice, &kBob}) {
    const auto list = h.Send("GET", "/v1/operations", "", *caller);
    EXPECT_EQ(ParseJson(list.body).at("value").as_array().size(), keys.size()) << list.body;
  }
}

}  // namespace
}  // namespace lro::server::test
