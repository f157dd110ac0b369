// ClientOptions::async_transport: a transport of the caller's that the engine calls without
// blocking its thread (issue 12, section 1).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lro/client.h"
#include "test_util.h"

namespace lro::test {
namespace {

// An asynchronous transport that answers each request on a thread of its own: at once, or
// once Release() is called when it holds. Answers: PUT → 201 with an Operation-Location;
// GET → Succeeded with a result.
class ThreadedTransport : public AsyncHttpTransport {
 public:
  explicit ThreadedTransport(bool hold) : hold_(hold) {}
  ~ThreadedTransport() override {
    Release();
    for (auto& thread : threads_) thread.join();
  }
  ThreadedTransport(const ThreadedTransport&) = delete;
  ThreadedTransport& operator=(const ThreadedTransport&) = delete;
  ThreadedTransport(ThreadedTransport&&) = delete;
  ThreadedTransport& operator=(ThreadedTransport&&) = delete;

  void SendAsync(HttpRequest request, Done done) override {
    std::lock_guard lock(mutex_);
    ++sent_;
    changed_.notify_all();
    threads_.emplace_back([this, request = std::move(request), done = std::move(done)] {
      {
        std::unique_lock held(mutex_);
        changed_.wait_for(held, std::chrono::seconds(30), [this] { return !hold_; });
      }
      if (request.method == "PUT") {
        done(HttpResponse{
            201,
            {{"Operation-Location", "https://svc.example.com/ops/1"}, {"Retry-After", "0"}},
            ""});
      } else {
        done(JsonResponse(200, R"({"status":"Succeeded","result":{"via":"async"}})"));
      }
    });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  bool AwaitSent(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return sent_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_;
  int sent_ = 0;
  std::vector<std::thread> threads_;
};

TEST(AsyncTransportTest, AHeldRequestDoesNotHoldUpTheEngine) {
  auto held = std::make_shared<ThreadedTransport>(true);
  auto quick = std::make_shared<ThreadedTransport>(false);
  auto engine = std::make_shared<Engine>();
  ClientOptions slow_options = FastClientOptions();
  slow_options.engine = engine;
  slow_options.async_transport = held;
  ClientOptions quick_options = FastClientOptions();
  quick_options.engine = engine;
  quick_options.async_transport = quick;
  Client slow_client(slow_options);
  Client quick_client(quick_options);

  AsyncOperation slow = slow_client.StartAsync(Request::Put("https://svc.example.com/items/a"));
  ASSERT_TRUE(held->AwaitSent(1));
  AsyncOperation fast = quick_client.StartAsync(Request::Put("https://svc.example.com/items/b"));
  // The engine's thread is free while `slow`'s request is out: `fast` runs to its end.
  auto outcome = Await(fast.Future());
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body, R"({"via":"async"})");
  EXPECT_FALSE(slow.IsDone());

  held->Release();
  auto slow_outcome = Await(slow.Future());
  ASSERT_TRUE(slow_outcome.ok()) << slow_outcome.status().ToString();
}

}  // namespace
}  // namespace lro::test
