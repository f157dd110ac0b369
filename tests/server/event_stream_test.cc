// GET /v1/operations/events over real HTTP: the caller's state changes as Server-Sent Events
// (the /ui page's live updates), only the caller's, until the server stops.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "event_stream_reader.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

ServerOptions AuthOptions(const TempDir& dir) {
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.bearer_tokens = {{"token-a", "alice"}, {"token-b", "bob"}};
  return options;
}

std::string Create(Harness& h, const std::string& token, const std::string& name, int ms) {
  auto raw = h.Send("POST", kItems, ItemBody(name, ms), {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(raw.status, 202) << raw.body;
  return Header(raw, "x-ms-operation-id");
}

TEST(EventStream, StreamsTheCallersStateChangesAndOnlyTheirs) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader alice(h.server().port(), "token-a");
  ASSERT_TRUE(alice.ReadUntil(": subscribed\n\n")) << alice.received();
  EXPECT_NE(alice.received().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(alice.received().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_EQ(alice.received().find("Content-Length"), std::string::npos);

  const std::string bobs = Create(h, "token-b", "bob's", 10);
  const std::string mine = Create(h, "token-a", "alice's", 10);
  // The entry of the list endpoint, with the name the demo gave the operation.
  ASSERT_TRUE(alice.ReadUntil("\"id\":\"" + mine +
                              "\",\"type\":\"Item.Create\",\"displayName\":\"alice's\","
                              "\"status\":\"Succeeded\""))
      << alice.received();
  EXPECT_NE(alice.received().find("event: state\ndata: {"), std::string::npos);
  WaitTerminal(h, bobs, {{"Authorization", "Bearer token-b"}});
  EXPECT_EQ(alice.received().find(bobs), std::string::npos) << alice.received();
}

TEST(EventStream, WantsATokenWithAuth) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader anonymous(h.server().port(), "");
  ASSERT_TRUE(anonymous.ReadUntil("HTTP/1.1 401")) << anonymous.received();
}

TEST(EventStream, StoppingTheServerEndsTheStream) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader alice(h.server().port(), "token-a");
  ASSERT_TRUE(alice.ReadUntil(": subscribed\n\n")) << alice.received();
  h.server().Stop();
  EXPECT_TRUE(alice.ReadUntilClosed());
}

}  // namespace
}  // namespace lro::server::test
