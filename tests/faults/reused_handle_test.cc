// The engine gives libcurl each request's URL already parsed (CURLOPT_CURLU) and keeps a curl
// handle for request after request. When a reused connection turns out dead under a request,
// libcurl sends that request again on a new connection by itself: the URL it resends to must be
// this request's, not one an earlier request on the same handle went to.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fault_server.h"
#include "lro/client.h"
#include "lro/engine.h"
#include "test_util.h"

namespace lro::test {
namespace {

TEST(ReusedHandle, ARequestResentOnANewConnectionGoesToItsOwnUrl) {
  // Each PUT /things/X answers 200 {"id":"X"}: done at once. The first request for /things/b
  // arrives on the connection /things/a used, and that connection is reset before any answer.
  std::atomic<int> requests_for_b{0};
  FaultServer server([&](const HttpRequest& request) -> FaultReply {
    const std::string thing = request.url.substr(request.url.rfind('/') + 1);
    if (thing == "b" && requests_for_b++ == 0) return FaultReply(HttpResponse{}, Delivery::kReset);
    return FaultReply(
        HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"id":")" + thing + R"("})"});
  });
  ClientOptions options = FastClientOptions();
  options.engine = std::make_shared<Engine>();
  options.retry.max_attempts = 1;  // only libcurl's own resend may save the request
  Client client(options);

  auto a =
      Await(client.StartAsync(Request::Put(server.base_url() + "/things/a").Json("{}")).Future());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b =
      Await(client.StartAsync(Request::Put(server.base_url() + "/things/b").Json("{}")).Future());

  std::vector<std::string> targets;
  for (const HttpRequest& request : server.requests()) targets.push_back(request.url);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->body, R"({"id":"b"})");
  EXPECT_EQ(targets, (std::vector<std::string>{"/things/a", "/things/b", "/things/b"}));
}

TEST(ReusedHandle, ASocketNumberLibcurlReusesIsWatchedAsTheNewSocket) {
  // Every answer says "Connection: close": libcurl closes each connection after its answer, and
  // the next one (a poll, or the next operation's start) usually gets the number just freed.
  // The engine keeps a connection's socket registered while idle, so it must learn of each close
  // and watch the new socket: a registration left from the closed one would never report the new
  // one ready, and the operation would hang.
  FaultServer server([](const HttpRequest& request) -> FaultReply {
    Headers headers{{"Connection", "close"}, {"Content-Type", "application/json"}};
    if (request.method == "PUT") {
      headers.push_back({"Location", "/status" + request.url});
      headers.push_back({"Retry-After", "0"});
      return FaultReply(HttpResponse{202, headers, ""});
    }
    return FaultReply(HttpResponse{200, headers, R"({"done":true})"});
  });
  ClientOptions options = FastClientOptions();
  options.engine = std::make_shared<Engine>();
  Client client(options);

  constexpr int kOperations = 20;
  for (int i = 0; i < kOperations; ++i) {
    const std::string url = server.base_url() + "/things/" + std::to_string(i);
    auto outcome = Await(client.StartAsync(Request::Put(url).Json("{}")).Future());
    ASSERT_TRUE(outcome.ok()) << i << ": " << outcome.status().ToString();
    EXPECT_EQ(outcome->body, R"({"done":true})");
  }
  EXPECT_EQ(server.requests().size(), 2U * kOperations);
}

}  // namespace
}  // namespace lro::test
