#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "lro/asio.h"
#include "lro/client.h"
#include "test_util.h"

namespace lro::test {
namespace {

using ::testing::HasSubstr;

// An Azure-style service: every PUT /things/<n> starts an operation whose monitor says Running
// `running` times, then Succeeded with a result naming the thing. Every answer but the last
// says Retry-After: 0.
class CountingService {
 public:
  explicit CountingService(int running) : running_(running) {}

  HttpResponse Answer(const HttpRequest& request) {
    const std::string path = PathOf(request.url);
    if (request.method == "PUT" && path.rfind("/things/", 0) == 0) {
      const std::string id = path.substr(8);
      return HttpResponse{
          202, {{"Operation-Location", base_ + "/ops/" + id}, {"Retry-After", "0"}}, ""};
    }
    if (request.method == "GET" && path.rfind("/ops/", 0) == 0) {
      const std::string id = path.substr(5);
      int seen = 0;
      {
        std::lock_guard lock(mutex_);
        seen = polls_[id]++;
      }
      if (seen < running_) {
        HttpResponse running = JsonResponse(200, R"({"status":"Running","percentComplete":50})");
        running.headers.push_back({"Retry-After", "0"});
        return running;
      }
      return JsonResponse(200, R"({"status":"Succeeded","result":{"id":")" + id + R"("}})");
    }
    return JsonResponse(404, R"({"error":{"code":"NotFound","message":"no route"}})");
  }
  void set_base(std::string base) { base_ = std::move(base); }

 private:
  int running_;
  std::string base_;
  std::mutex mutex_;
  std::map<std::string, int> polls_;
};

// CountingService on a real server. With `gated_path`, the request for that path waits at
// `gate` until the test opens it.
struct ServedService {
  explicit ServedService(int running, std::string gated_path = {})
      : service(running), gated(std::move(gated_path)) {
    service.set_base(server.base_url());
  }
  CountingService service;
  std::string gated;
  Gate gate;
  TestHttpServer server{[this](const HttpRequest& r) {
    if (!gated.empty() && PathOf(r.url) == gated) gate.Pass();
    return service.Answer(r);
  }};
};

ClientOptions EngineClientOptions(std::shared_ptr<Engine> engine) {
  ClientOptions options = FastClientOptions();
  options.engine = std::move(engine);
  options.polling.floor = std::chrono::milliseconds(0);
  return options;
}

TEST(EngineTest, CallbackFaceDeliversTheResultAndProgress) {
  ServedService served(2);
  auto engine = std::make_shared<Engine>();
  Client client(EngineClientOptions(engine));
  std::promise<StatusOr<Result>> outcome;
  std::atomic<int> progress_calls{0};
  client.StartAsync(
      Request::Put(served.server.base_url() + "/things/a").Json("{}"),
      [&](StatusOr<Result> result) { outcome.set_value(std::move(result)); }, {},
      [&](const OperationState&) { ++progress_calls; });
  auto result = Await(outcome.get_future());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"id":"a"})");
  EXPECT_GE(progress_calls.load(), 1);
  // PUT, two Running polls, the Succeeded poll.
  EXPECT_EQ(engine->stats().requests, 4U);
}

TEST(EngineTest, FutureFace) {
  ServedService served(1);
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  AsyncOperation operation =
      client.StartAsync(Request::Put(served.server.base_url() + "/things/f"));
  auto result = Await(operation.Future());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"id":"f"})");
  EXPECT_TRUE(operation.IsDone());
  EXPECT_EQ(operation.State().status.kind, StatusKind::kSucceeded);
}

TEST(EngineTest, CoAwaitFace) {
  ServedService served(1);
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  boost::asio::io_context io;
  std::string body;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        // Named arguments, not temporaries: g++ 12 mishandles temporaries in a co_await
        // expression (GCC bug 101367).
        Request request = Request::Put(served.server.base_url() + "/things/c");
        OperationOptions options;
        StatusOr<Result> result =
            co_await AsyncRun(client, request, options, boost::asio::use_awaitable);
        body = result.ok() ? result->body : result.status().ToString();
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(body, R"({"id":"c"})");
}

TEST(EngineTest, ManyOperationsOnOneThreadStayWithinTheConnectionCap) {
  constexpr int kOperations = 2000;
  ServedService served(2);
  EngineOptions engine_options;
  engine_options.max_connections_per_host = 4;
  auto engine = std::make_shared<Engine>(engine_options);
  Client client(EngineClientOptions(engine));
  std::atomic<int> succeeded{0};
  std::atomic<int> finished{0};
  std::promise<void> all_done;
  for (int i = 0; i < kOperations; ++i) {
    client.StartAsync(Request::Put(served.server.base_url() + "/things/" + std::to_string(i)),
                      [&](const StatusOr<Result>& result) {
                        if (result.ok()) ++succeeded;
                        if (++finished == kOperations) all_done.set_value();
                      });
  }
  Await(all_done.get_future());
  EXPECT_EQ(succeeded.load(), kOperations);
  EXPECT_EQ(engine->stats().requests, 4U * kOperations);
  EXPECT_LE(served.server.connections_accepted(), 4);
}

// What each request the server received was for ("/things/a" and "/ops/a" -> "a"), in order.
std::vector<std::string> ThingsInArrivalOrder(const TestHttpServer& server) {
  std::vector<std::string> things;
  for (const HttpRequest& request : server.requests()) {
    const std::string path = PathOf(request.url);
    things.push_back(path.substr(path.rfind('/') + 1));
  }
  return things;
}

// An engine that sends one request at a time, so that the order of requests shows its
// queueing policy.
std::shared_ptr<Engine> OneSlotEngine() {
  EngineOptions engine_options;
  engine_options.max_connections_per_host = 1;
  engine_options.max_requests_in_flight = 1;
  return std::make_shared<Engine>(engine_options);
}

// Waits until `engine` has `n` requests waiting for a slot; false after 30 s.
bool AwaitQueued(const Engine& engine, int n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (engine.stats().requests_queued < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// On a one-slot engine: starts "a", whose first request waits at the gate, then "b", and
// returns once b waits for the slot behind a.
std::pair<AsyncOperation, AsyncOperation> StartBQueuedBehindA(ServedService& served, Client& client,
                                                              const Engine& engine) {
  AsyncOperation a = client.StartAsync(Request::Put(served.server.base_url() + "/things/a"));
  EXPECT_TRUE(served.gate.AwaitArrivals(1));
  AsyncOperation b = client.StartAsync(Request::Put(served.server.base_url() + "/things/b"));
  EXPECT_TRUE(AwaitQueued(engine, 1));
  return {a, b};
}

TEST(EngineTest, AnOperationDueAgainAtOnceKeepsItsSlotAndFinishesFirst) {
  // One request slot, three operations of four requests each (PUT, two Running, Succeeded),
  // every answer with Retry-After: 0. Each operation runs to its end before the next starts,
  // instead of all three advancing one request per round and finishing together at the end.
  // "a" holds the slot (its PUT waits at the gate) until "b" and "c" are queued behind it.
  ServedService served(2, "/things/a");
  auto engine = OneSlotEngine();
  Client client(EngineClientOptions(engine));
  std::vector<AsyncOperation> operations;
  operations.push_back(client.StartAsync(Request::Put(served.server.base_url() + "/things/a")));
  ASSERT_TRUE(served.gate.AwaitArrivals(1));
  for (const char* thing : {"b", "c"}) {
    operations.push_back(
        client.StartAsync(Request::Put(served.server.base_url() + "/things/" + thing)));
  }
  ASSERT_TRUE(AwaitQueued(*engine, 2));
  served.gate.Open();
  for (auto& operation : operations) ASSERT_TRUE(Await(operation.Future()).ok());
  const std::vector<std::string> order = ThingsInArrivalOrder(served.server);
  EXPECT_THAT(order,
              ::testing::ElementsAre("a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"));
}

TEST(EngineTest, AnOperationKeepsItsSlotForSixteenRequestsInARowAtMost) {
  // "a" needs 31 requests; "b", queued while a's first request is in flight, goes right after
  // a's 16th.
  ServedService served(29, "/things/a");
  auto engine = OneSlotEngine();
  Client client(EngineClientOptions(engine));
  auto [a, b] = StartBQueuedBehindA(served, client, *engine);
  served.gate.Open();
  ASSERT_TRUE(Await(a.Future()).ok());
  ASSERT_TRUE(Await(b.Future()).ok());
  const std::vector<std::string> order = ThingsInArrivalOrder(served.server);
  ASSERT_EQ(order.size(), 62U);
  const auto first_b = std::find(order.begin(), order.end(), "b") - order.begin();
  EXPECT_EQ(first_b, 16);
}

TEST(EngineTest, StatsCountRunningInFlightAndQueued) {
  ServedService served(0, "/things/a");
  auto engine = OneSlotEngine();
  Client client(EngineClientOptions(engine));
  auto [a, b] = StartBQueuedBehindA(served, client, *engine);
  const Engine::Stats during = engine->stats();
  EXPECT_EQ(during.operations_running, 2U);
  EXPECT_EQ(during.requests_in_flight, 1);
  EXPECT_EQ(during.requests_queued, 1);
  EXPECT_EQ(during.requests, 0U);
  served.gate.Open();
  ASSERT_TRUE(Await(a.Future()).ok());
  ASSERT_TRUE(Await(b.Future()).ok());
  const Engine::Stats after = engine->stats();
  EXPECT_EQ(after.operations_running, 0U);
  EXPECT_EQ(after.requests_in_flight, 0);
  EXPECT_EQ(after.requests_queued, 0);
  EXPECT_EQ(after.requests, 4U);
}

TEST(EngineTest, StopEndsAnInFlightRequestAndTheOperationCanBeResumed) {
  RoutedServer server;
  Gate gate;
  server.routes.On("PUT", "/things/s", [&](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", server.base() + "/ops/s"}}, ""};
  });
  server.routes.On("GET", "/ops/s", [&](const HttpRequest&, int call) {
    if (call == 0) gate.Pass();  // the first poll hangs until the test opens the gate
    return JsonResponse(200, R"({"status":"Succeeded","result":{"ok":true}})");
  });
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  AsyncOperation operation = client.StartAsync(Request::Put(server.base() + "/things/s"));
  ASSERT_TRUE(gate.AwaitArrivals(1));
  operation.Stop();
  auto stopped = Await(operation.Future());
  EXPECT_EQ(stopped.status().code(), StatusCode::kStopped);
  gate.Open();

  auto token = operation.ResumeToken();
  ASSERT_TRUE(token.ok());
  auto resumed = client.ResumeAsync(*token);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  auto result = Await(resumed->Future());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, R"({"ok":true})");
}

TEST(EngineTest, ServerSideCancel) {
  RoutedServer server;
  std::atomic<bool> cancelled{false};
  server.routes.On("POST", "/jobs", [&](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Operation-Location", server.base() + "/ops/j"}, {"Retry-After", "0"}}, ""};
  });
  server.routes.On("GET", "/ops/j", [&](const HttpRequest&, int) {
    return JsonResponse(200, cancelled ? R"({"status":"Canceled"})" : R"({"status":"Running"})");
  });
  server.routes.On("POST", "/ops/j:cancel", [&](const HttpRequest&, int) {
    cancelled = true;
    return JsonResponse(200, R"({"status":"Canceling"})");
  });
  ClientOptions options = EngineClientOptions(std::make_shared<Engine>());
  options.polling = PollingPolicy::Fixed(std::chrono::milliseconds(5));
  Client client(options);
  AsyncOperation operation = client.StartAsync(Request::Post(server.base() + "/jobs"));
  std::promise<Status> cancel_status;
  operation.Cancel([&](Status status) { cancel_status.set_value(std::move(status)); });
  EXPECT_TRUE(Await(cancel_status.get_future()).ok());
  auto result = Await(operation.Future());
  EXPECT_EQ(result.status().code(), StatusCode::kOperationCanceled);
}

TEST(EngineTest, DestroyingTheEngineEndsRunningOperations) {
  RoutedServer server;
  server.routes.On("PUT", "/things/forever", [&](const HttpRequest&, int) {
    return HttpResponse{
        202, {{"Operation-Location", server.base() + "/ops/forever"}, {"Retry-After", "3600"}}, ""};
  });
  std::shared_future<StatusOr<Result>> future;
  {
    auto engine = std::make_shared<Engine>();
    Client client(EngineClientOptions(engine));
    AsyncOperation operation = client.StartAsync(Request::Put(server.base() + "/things/forever"));
    future = operation.Future();
  }
  EXPECT_EQ(Await(future).status().code(), StatusCode::kCancelled);
}

TEST(EngineTest, CredentialsStayWithTheirOrigin) {
  RoutedServer other;
  other.routes.On("GET", "/ops/x", [](const HttpRequest&, int) {
    return JsonResponse(200, R"({"status":"Succeeded","result":{}})");
  });
  RoutedServer origin;
  origin.routes.On("PUT", "/things/x", [&](const HttpRequest&, int) {
    return HttpResponse{202, {{"Operation-Location", other.base() + "/ops/x"}}, ""};
  });
  ClientOptions options = EngineClientOptions(std::make_shared<Engine>());
  options.credentials = [] {
    return StatusOr<Headers>(Headers{{"Authorization", "Bearer secret"}});
  };
  Client client(options);
  auto result = Await(client.StartAsync(Request::Put(origin.base() + "/things/x")).Future());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(origin.server.requests().size(), 1U);
  EXPECT_EQ(HeaderOf(origin.server.requests()[0], "Authorization"), "Bearer secret");
  ASSERT_EQ(other.server.requests().size(), 1U);
  EXPECT_EQ(HeaderOf(other.server.requests()[0], "Authorization"), "");
}

TEST(EngineTest, BadUrlCompletesAtOnceWithInvalidArgument) {
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  auto result = Await(client.StartAsync(Request::Put("not a url")).Future());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
}

TEST(EngineTest, ConnectionRefusedIsUnavailableAfterTheRetryBudget) {
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  // Port 1 on loopback: nothing listens there.
  auto result = Await(client.StartAsync(Request::Put("http://127.0.0.1:1/things/r")).Future());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("127.0.0.1:1"));
}

TEST(EngineTest, StateMayBeReadFromAnotherThreadWhilePolling) {
  ServedService served(50);
  Client client(EngineClientOptions(std::make_shared<Engine>()));
  AsyncOperation operation =
      client.StartAsync(Request::Put(served.server.base_url() + "/things/t"));
  std::thread reader([&] {
    while (!operation.IsDone()) (void)operation.State();
  });
  auto result = Await(operation.Future());
  reader.join();
  EXPECT_TRUE(result.ok()) << result.status().ToString();
}

}  // namespace
}  // namespace lro::test
