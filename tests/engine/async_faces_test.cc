// The asynchronous faces match the blocking one (issue 12, section 2): continuations and
// progress callbacks added after start, who the operation is (id, monitor URL, polling mode),
// resume and watch on the engine and on the Asio face, and typed results from each face.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value_to.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "lro/asio.h"
#include "lro/client.h"
#include "lro/json.h"
#include "test_util.h"

namespace shapes {
struct Widget {
  std::string name;
  int size = 0;
};
Widget tag_invoke(boost::json::value_to_tag<Widget> /*tag*/, const boost::json::value& value) {
  return Widget{boost::json::value_to<std::string>(value.at("name")),
                boost::json::value_to<int>(value.at("size"))};
}
}  // namespace shapes

namespace lro::test {
namespace {

using shapes::Widget;

ClientOptions EngineOptions() {
  ClientOptions options = FastClientOptions();
  options.engine = std::make_shared<Engine>();
  return options;
}

// A Fabric operation: POST /v1/workspaces/w/items → 202 with x-ms-operation-id op-7; its state
// says Running (held at the gate) then Succeeded with a result.
struct FabricOperation {
  RoutedServer s;
  Gate gate;
  FabricOperation() {
    s.routes.On("POST", "/v1/workspaces/w/items", [this](const HttpRequest&, int) {
      return HttpResponse{202,
                          {{"Location", s.routes.base() + "/v1/operations/op-7"},
                           {"x-ms-operation-id", "op-7"},
                           {"Retry-After", "0"}},
                          {}};
    });
    s.routes.On("GET", "/v1/operations/op-7", [this](const HttpRequest&, int call) {
      if (call == 0) {
        gate.Pass();
        return JsonResponse(200, R"({"status":"Running","percentComplete":40})",
                            {{"Retry-After", "0"}});
      }
      return JsonResponse(200, R"({"status":"Succeeded","percentComplete":100})",
                          {{"Location", s.routes.base() + "/v1/operations/op-7/result"}});
    });
    s.routes.On("GET", "/v1/operations/op-7/result", [](const HttpRequest&, int) {
      return JsonResponse(200, R"({"name":"w","size":7})");
    });
  }
  std::string start_url() const { return s.base() + "/v1/workspaces/w/items"; }
  std::string monitor_url() const { return s.base() + "/v1/operations/op-7"; }
};

TEST(AsyncFacesTest, ProgressCallbackAndContinuationAddedAfterStart) {
  FabricOperation fabric;
  Client client(EngineOptions());
  AsyncOperation operation = client.StartAsync(Request::Post(fabric.start_url()).Json("{}"));
  std::mutex mutex;
  std::vector<std::string> seen;
  operation.OnProgress([&](const OperationState& state) {
    // (Whether the start's answer, which reports no status yet, comes before or after the
    // callback is added is up to the engine: only the statuses the service reported count.)
    if (state.status.raw.empty()) return;
    std::lock_guard lock(mutex);
    seen.push_back(state.status.raw);
  });
  std::promise<StatusOr<Result>> continued;
  operation.Then([&](StatusOr<Result> outcome) { continued.set_value(std::move(outcome)); });
  // Both were posted to the engine before the first poll's answer is let through.
  ASSERT_TRUE(fabric.gate.AwaitArrivals(1));
  fabric.gate.Open();

  auto outcome = Await(continued.get_future().share());
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto widget = As<Widget>(outcome);
  ASSERT_TRUE(widget.ok()) << widget.status().ToString();
  EXPECT_EQ(widget->size, 7);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen, (std::vector<std::string>{"Running", "Succeeded"}));
  }
  EXPECT_FALSE(fabric.gate.timed_out());

  // Added once the operation is over: runs at once, on this thread.
  bool ran_here = false;
  operation.Then([&](const StatusOr<Result>& again) { ran_here = again.ok(); });
  EXPECT_TRUE(ran_here);
  // A future first asked for now (the engine makes one only when asked) is ready at once.
  auto late = operation.Future();
  ASSERT_EQ(late.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  ASSERT_TRUE(late.get().ok());
  EXPECT_EQ(late.get()->body, outcome->body);
}

TEST(AsyncFacesTest, AFutureFirstAskedForAfterAStopSaysStopped) {
  FabricOperation fabric;
  Client client(EngineOptions());
  std::promise<StatusOr<Result>> completed;
  AsyncOperation operation =
      client.StartAsync(Request::Post(fabric.start_url()).Json("{}"),
                        [&](StatusOr<Result> outcome) { completed.set_value(std::move(outcome)); });
  ASSERT_TRUE(fabric.gate.AwaitArrivals(1));
  operation.Stop();
  const auto stopped = Await(completed.get_future().share());
  fabric.gate.Open();
  EXPECT_EQ(stopped.status().code(), StatusCode::kStopped);

  auto late = operation.Future();
  ASSERT_EQ(late.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(late.get().status().code(), StatusCode::kStopped);
  bool continued_here = false;
  operation.Then([&](const StatusOr<Result>& again) {
    continued_here = again.status().code() == StatusCode::kStopped;
  });
  EXPECT_TRUE(continued_here);
}

TEST(AsyncFacesTest, SayWhoTheOperationIsOnBothFaces) {
  FabricOperation fabric;
  fabric.gate.Open();
  Client client(EngineOptions());
  AsyncOperation operation = client.StartAsync(Request::Post(fabric.start_url()).Json("{}"));
  ASSERT_TRUE(Await(operation.Future()).ok());
  EXPECT_EQ(operation.OperationId(), "op-7");
  EXPECT_EQ(operation.MonitorUrl(), fabric.monitor_url());
  EXPECT_EQ(operation.PollingModeName(), "fabric");

  Poller poller = client.Start(Request::Post(fabric.start_url()).Json("{}"));
  EXPECT_EQ(poller.OperationId(), "op-7");
  EXPECT_EQ(poller.MonitorUrl(), fabric.monitor_url());
  EXPECT_EQ(poller.PollingModeName(), "fabric");
}

TEST(AsyncFacesTest, WatchAsyncFollowsAMonitor) {
  FabricOperation fabric;
  fabric.gate.Open();
  Client client(EngineOptions());
  auto operation = client.WatchAsync(fabric.monitor_url());
  ASSERT_TRUE(operation.ok()) << operation.status().ToString();
  auto outcome = Await(operation->Future());
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"name":"w","size":7})");
  EXPECT_EQ(client.WatchAsync("not a url").status().code(), StatusCode::kInvalidArgument);
}

TEST(AsyncFacesTest, CoAwaitResumeAndWatchWithTypedResults) {
  FabricOperation fabric;
  fabric.gate.Open();
  Client client(EngineOptions());
  auto token = client.Start(Request::Post(fabric.start_url()).Json("{}")).ResumeToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();

  boost::asio::io_context io;
  StatusOr<Widget> resumed = Status(StatusCode::kInternal, "not run");
  StatusOr<Widget> watched = Status(StatusCode::kInternal, "not run");
  Status bad_token;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        // Named arguments, not temporaries (GCC bug 101367).
        OperationOptions options;
        std::string resume_token = *token;
        resumed = As<Widget>(
            co_await AsyncResume(client, resume_token, options, boost::asio::use_awaitable));
        std::string monitor = fabric.monitor_url();
        watched =
            As<Widget>(co_await AsyncWatch(client, monitor, options, boost::asio::use_awaitable));
        std::string junk = "{not a token";
        bad_token =
            (co_await AsyncResume(client, junk, options, boost::asio::use_awaitable)).status();
      },
      boost::asio::detached);
  io.run();
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->name, "w");
  ASSERT_TRUE(watched.ok()) << watched.status().ToString();
  EXPECT_EQ(watched->size, 7);
  EXPECT_EQ(bad_token.code(), StatusCode::kInvalidArgument) << bad_token.ToString();
}

}  // namespace
}  // namespace lro::test
