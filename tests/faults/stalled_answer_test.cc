// A stalled answer on a connection the client reuses: the error names what timed out (the
// request, after its request timeout), not a connect that succeeded long before.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "fault_server.h"
#include "lro/client.h"
#include "lro/engine.h"
#include "lro/poller.h"
#include "test_util.h"

namespace lro::test {
namespace {

using namespace std::chrono_literals;

// PUT /things/s answers 202 with a monitor; every poll of the monitor stalls.
class StallingMonitor {
 public:
  StallingMonitor()
      : server_([this](const HttpRequest& request) -> FaultReply {
          if (request.method == "PUT") {
            return FaultReply(HttpResponse{
                202,
                {{"Operation-Location", server_.base_url() + "/ops/s"}, {"Retry-After", "0"}},
                ""});
          }
          return FaultReply(HttpResponse{}, Delivery::kStall);
        }) {}
  [[nodiscard]] std::string start_url() const { return server_.base_url() + "/things/s"; }

 private:
  FaultServer server_;
};

ClientOptions OneAttempt() {
  ClientOptions options = FastClientOptions();
  options.retry.max_attempts = 1;
  options.curl.request_timeout = 300ms;
  return options;
}

void ExpectTheRequestTimedOut(const StatusOr<Result>& outcome) {
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kUnavailable) << outcome.status().ToString();
  EXPECT_NE(outcome.status().message().find("timed out after 300 ms"), std::string::npos)
      << outcome.status().ToString();
  EXPECT_EQ(outcome.status().message().find("connect"), std::string::npos)
      << "the connection was made (and reused): " << outcome.status().ToString();
}

TEST(StalledAnswer, OnAReusedConnectionIsTheRequestTimingOutBlocking) {
  StallingMonitor service;
  Client client(OneAttempt());
  Poller poller = client.Start(Request::Put(service.start_url()));
  WaitOptions guard;
  guard.timeout = 30s;
  ExpectTheRequestTimedOut(poller.Wait(guard));
}

TEST(StalledAnswer, OnAReusedConnectionIsTheRequestTimingOutEngine) {
  StallingMonitor service;
  Client client(OneAttempt());
  ExpectTheRequestTimedOut(Await(client.StartAsync(Request::Put(service.start_url())).Future()));
}

}  // namespace
}  // namespace lro::test
