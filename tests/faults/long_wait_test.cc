// Long waits (issue 10): a server asking for an hour between polls (Retry-After: 3600) must not
// hold a caller who wants out. Cancel, Stop and a timeout end the wait within a bounded real
// time, on the blocking client, the engine and the CLI. The bound (5 s) only turns a wait that
// does not end into a failure; it measures nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "fake_services.h"
#include "lro/client.h"
#include "lro/engine.h"
#include "lro/poller.h"
#include "lrod_process.h"
#include "run_lro.h"
#include "tcp_proxy.h"
#include "test_util.h"

namespace lro::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr auto kBound = 5s;

// An Azure operation that runs until cancelled, asking for an hour before every poll. The first
// poll is allowed at once (so a test knows when the long wait begins: after it arrives).
struct HourLongService {
  RoutedServer server;
  Gate first_poll;
  std::atomic<bool> cancelled{false};
  std::atomic<int> polls{0};

  HourLongService() {
    server.routes.On("POST", "/jobs", [this](const HttpRequest&, int) {
      return HttpResponse{
          202, {{"Operation-Location", server.base() + "/ops/long"}, {"Retry-After", "0"}}, ""};
    });
    server.routes.On("GET", "/ops/long", [this](const HttpRequest&, int) {
      if (polls.fetch_add(1) == 0) first_poll.Open();
      if (cancelled) return JsonResponse(200, R"({"status":"Canceled"})");
      return JsonResponse(200, R"({"status":"Running"})", {{"Retry-After", "3600"}});
    });
    server.routes.On("POST", "/ops/long:cancel", [this](const HttpRequest&, int) {
      cancelled = true;
      return JsonResponse(200, R"({"status":"Canceling"})");
    });
  }
  std::string start_url() const { return server.base() + "/jobs"; }
  // Blocks until the first poll (answered with the hour-long Retry-After) arrived.
  void AwaitFirstPoll() {
    // The handler opens the gate; Pass() returns at once once it is open.
    first_poll.Pass();
  }
};

// A PUT answered 503 with an hour-long Retry-After: the start is retried (a PUT is safe to
// repeat) only after the hour, unless the caller ends the wait.
struct HourLongStartRetry {
  RoutedServer server;
  Gate answered;  // opened by the first answer

  HourLongStartRetry() {
    server.routes.On("PUT", "/things/slow", [this](const HttpRequest&, int) {
      answered.Open();
      return JsonResponse(503, R"({"error":{"code":"Busy","message":"later"}})",
                          {{"Retry-After", "3600"}});
    });
  }
  std::string start_url() const { return server.base() + "/things/slow"; }
};

// ---- The blocking client. ----

enum class BlockingEnd { kCancelToken, kStop, kTimeout, kServerSideCancel };

class BlockingLongWait : public ::testing::TestWithParam<BlockingEnd> {};

TEST_P(BlockingLongWait, EndsWithinTheBound) {
  HourLongService service;
  Client client(FastClientOptions());
  Poller poller = client.Start(Request::Post(service.start_url()));
  ASSERT_FALSE(poller.IsDone());

  CancellationSource source;
  WaitOptions wait;
  wait.cancel = source.token();
  wait.timeout = GetParam() == BlockingEnd::kTimeout ? 200ms : 30s;
  std::thread ender([&] {
    service.AwaitFirstPoll();
    switch (GetParam()) {
      case BlockingEnd::kCancelToken:
        source.Cancel();
        break;
      case BlockingEnd::kStop:
        poller.Stop();
        break;
      case BlockingEnd::kServerSideCancel:
        EXPECT_TRUE(poller.Cancel().ok());
        break;
      case BlockingEnd::kTimeout:
        break;
    }
  });
  const auto began = Clock::now();
  StatusOr<Result> result = poller.Wait(wait);
  const auto took = Clock::now() - began;
  ender.join();

  EXPECT_LT(took, kBound) << result.status().ToString();
  switch (GetParam()) {
    case BlockingEnd::kCancelToken:
      EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
      break;
    case BlockingEnd::kStop:
      EXPECT_EQ(result.status().code(), StatusCode::kStopped) << result.status().ToString();
      break;
    case BlockingEnd::kTimeout:
      EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded)
          << result.status().ToString();
      break;
    case BlockingEnd::kServerSideCancel:
      EXPECT_EQ(result.status().code(), StatusCode::kOperationCanceled)
          << result.status().ToString();
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(RetryAfter3600, BlockingLongWait,
                         ::testing::Values(BlockingEnd::kCancelToken, BlockingEnd::kStop,
                                           BlockingEnd::kTimeout, BlockingEnd::kServerSideCancel),
                         [](const ::testing::TestParamInfo<BlockingEnd>& param) -> std::string {
                           switch (param.param) {
                             case BlockingEnd::kCancelToken:
                               return "CancelToken";
                             case BlockingEnd::kStop:
                               return "Stop";
                             case BlockingEnd::kTimeout:
                               return "Timeout";
                             case BlockingEnd::kServerSideCancel:
                               return "ServerSideCancel";
                           }
                           return "?";
                         });

TEST(BlockingLongWait, CancelEndsAStartWaitingAnHourToRetry) {
  HourLongStartRetry service;
  Client client(FastClientOptions());
  CancellationSource source;
  std::thread ender([&] {
    service.answered.Pass();
    source.Cancel();
  });
  const auto began = Clock::now();
  Poller poller = client.Start(Request::Put(service.start_url()), {}, source.token());
  const auto took = Clock::now() - began;
  ender.join();
  EXPECT_LT(took, kBound);
  ASSERT_TRUE(poller.IsDone());
  EXPECT_EQ(poller.Outcome().status().code(), StatusCode::kCancelled);
}

// ---- The engine. ----

enum class EngineEnd { kStop, kServerSideCancel };

class EngineLongWait : public ::testing::TestWithParam<EngineEnd> {};

TEST_P(EngineLongWait, EndsWithinTheBound) {
  HourLongService service;
  Client client(FastClientOptions());
  AsyncOperation operation = client.StartAsync(Request::Post(service.start_url()));
  service.AwaitFirstPoll();
  const auto began = Clock::now();
  if (GetParam() == EngineEnd::kStop) {
    operation.Stop();
  } else {
    std::promise<Status> cancel;
    operation.Cancel([&cancel](Status status) { cancel.set_value(std::move(status)); });
    EXPECT_TRUE(Await(cancel.get_future()).ok());
  }
  StatusOr<Result> result = Await(operation.Future());
  const auto took = Clock::now() - began;
  EXPECT_LT(took, kBound) << result.status().ToString();
  EXPECT_EQ(result.status().code(),
            GetParam() == EngineEnd::kStop ? StatusCode::kStopped : StatusCode::kOperationCanceled)
      << result.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(RetryAfter3600, EngineLongWait,
                         ::testing::Values(EngineEnd::kStop, EngineEnd::kServerSideCancel),
                         [](const ::testing::TestParamInfo<EngineEnd>& param) -> std::string {
                           return param.param == EngineEnd::kStop ? "Stop" : "ServerSideCancel";
                         });

TEST(EngineLongWait, StopEndsAStartWaitingAnHourToRetry) {
  HourLongStartRetry service;
  Client client(FastClientOptions());
  AsyncOperation operation = client.StartAsync(Request::Put(service.start_url()));
  service.answered.Pass();
  const auto began = Clock::now();
  operation.Stop();
  StatusOr<Result> result = Await(operation.Future());
  EXPECT_LT(Clock::now() - began, kBound);
  EXPECT_EQ(result.status().code(), StatusCode::kStopped) << result.status().ToString();
}

// ---- A poll the server holds (Prefer: wait, lrod). ----

// lrod holds a Wait's poll (Prefer: wait) until the operation changes or the wait runs out
// (30 s by default). A server-side cancel from another thread meanwhile must not queue behind
// the held poll: the poll would wait for a change that only the cancel brings.
class HeldPollCancel : public ::testing::TestWithParam<bool /*engine*/> {};

TEST_P(HeldPollCancel, EndsTheWaitWithinTheBound) {
  server::test::TempDir dir;
  TcpProxy proxy;  // in front of lrod, to see the held poll go by
  server::test::LrodProcess lrod(dir, "lrod", "sqlite:" + dir.File("lrod.db"),
                                 {"--public-url=" + proxy.base_url()});
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  const std::string lrod_url = lrod.Url("");
  proxy.set_upstream_port(
      static_cast<std::uint16_t>(std::stoi(lrod_url.substr(lrod_url.rfind(':') + 1))));
  const Request create = Request::Post(proxy.base_url() + "/v1/workspaces/ws1/items")
                             .Json(R"({"displayName":"held","type":"Notebook",)"
                                   R"("demo":{"durationMs":600000,"progressSteps":1}})");
  Client client(FastClientOptions());
  StatusOr<Result> result = Status(StatusCode::kInternal, "not run");
  auto began = Clock::now();
  if (!GetParam()) {
    Poller poller = client.Start(create);
    ASSERT_FALSE(poller.IsDone()) << poller.Outcome().status().ToString();
    std::thread canceller([&] {
      EXPECT_TRUE(proxy.AwaitForwarded("Prefer: wait=", 1));  // lrod holds the Wait's poll
      began = Clock::now();
      EXPECT_TRUE(poller.Cancel().ok());
    });
    WaitOptions guard;
    guard.timeout = 60s;
    result = poller.Wait(guard);
    canceller.join();
  } else {
    AsyncOperation operation = client.StartAsync(create);
    ASSERT_TRUE(proxy.AwaitForwarded("Prefer: wait=", 1));
    began = Clock::now();
    std::promise<Status> cancelled;
    operation.Cancel([&cancelled](Status status) { cancelled.set_value(std::move(status)); });
    EXPECT_TRUE(Await(cancelled.get_future()).ok());
    result = Await(operation.Future());
  }
  EXPECT_LT(Clock::now() - began, kBound) << result.status().ToString();
  EXPECT_EQ(result.status().code(), StatusCode::kOperationCanceled) << result.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(PreferWait, HeldPollCancel, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) -> std::string {
                           return param.param ? "Engine" : "Blocking";
                         });

// ---- The CLI. ----

TEST(CliLongWait, TimeoutEndsAWaitOnAnHourLongRetryAfter) {
  cli_test::FabricService fabric({.retry_after = 3600, .hold = true});
  const auto began = Clock::now();
  const cli_test::LroRun run = cli_test::RunLro({"wait", "--timeout", "0.5", fabric.state_url()});
  EXPECT_LT(Clock::now() - began, kBound);
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_THAT(run.err, HasSubstr("timed out"));
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
}

TEST(CliLongWait, TimeoutEndsAStartWhoseFirstPollIsAnHourAway) {
  cli_test::FabricService fabric({.retry_after = 3600});
  const auto began = Clock::now();
  const cli_test::LroRun run = cli_test::RunLro({"start", "--timeout", "0.5", fabric.start_url()});
  EXPECT_LT(Clock::now() - began, kBound);
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_THAT(run.err, HasSubstr("timed out"));
  EXPECT_EQ(fabric.polls(), 0) << "the hour was honoured, not skipped";
}

}  // namespace
}  // namespace lro::test
