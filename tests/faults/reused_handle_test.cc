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

}  // namespace
}  // namespace lro::test
