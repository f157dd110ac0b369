// What a new user hit with `lro` (issue 12, section 1), each against a real server: the cookie
// of a failed first attempt goes with the retry; a POST is retried safely by default; a JSON
// answer cut short is a protocol error; status, result and cancel of an operation whose
// server cannot be reached say so; option values that do not parse get a readable message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "fake_services.h"
#include "refusing_port.h"
#include "run_lro.h"
#include "test_http_server.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kFast = {"--interval", "0.01"};

std::vector<std::string> Args(std::vector<std::string> args) {
  args.insert(args.end(), kFast.begin(), kFast.end());
  return args;
}

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  auto value = FindHeader(request.headers, name);
  return value ? std::string(*value) : std::string();
}

// A URL on 127.0.0.1 where nothing listens: a port a server just gave back.
std::string DeadBase() {
  test::TestHttpServer gone([](const HttpRequest&) { return HttpResponse{204, {}, ""}; });
  return gone.base_url();
}

TEST(UserReports, CookieOfAFailedFirstAttemptGoesWithTheRetry) {
  test::TestHttpServer server([](const HttpRequest& request) {
    if (HeaderOf(request, "Cookie") != "s=1") {
      return HttpResponse{500, {{"Set-Cookie", "s=1; Path=/"}, {"Retry-After", "0"}}, "oops"};
    }
    return JsonResponse(200, R"({"id":"w1","properties":{"provisioningState":"Succeeded"}})");
  });
  const LroRun run = RunLro(Args({"start", "-X", "PUT", "-d", "{}", server.base_url() + "/w/1"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(R"("id":"w1")"));
  EXPECT_EQ(server.requests().size(), 2U);
}

// Runs each POST it is sent, unless it saw its Repeatability-Request-ID before: then it
// answers as the first time. The first answer is lost (500), as on a flaky network.
class RepeatableJobs {
 public:
  RepeatableJobs() : server_([this](const HttpRequest& request) { return Handle(request); }) {}

  [[nodiscard]] std::string url() const { return server_.base_url() + "/jobs"; }
  [[nodiscard]] int runs() const { return runs_.load(); }
  [[nodiscard]] std::vector<HttpRequest> requests() const { return server_.requests(); }

 private:
  HttpResponse Handle(const HttpRequest& request) {
    const std::string key = HeaderOf(request, "Repeatability-Request-ID");
    std::lock_guard lock(mutex_);
    if (!key.empty() && seen_.count(key) != 0) {
      return JsonResponse(201, R"({"id":"job-1"})", {{"Repeatability-Result", "accepted"}});
    }
    ++runs_;
    if (!key.empty()) seen_[key] = true;
    // The job ran; its answer is lost on the way.
    return HttpResponse{500, {{"Retry-After", "0"}}, "lost"};
  }

  std::mutex mutex_;
  std::map<std::string, bool> seen_;
  std::atomic<int> runs_{0};
  test::TestHttpServer server_;
};

TEST(UserReports, PostIsRetriedWithTheSameKeyAndRunsOnce) {
  RepeatableJobs jobs;
  const LroRun run = RunLro(Args({"start", "-d", "{}", jobs.url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"job-1"})");
  EXPECT_EQ(jobs.runs(), 1);
  const auto seen = jobs.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_FALSE(HeaderOf(seen[0], "Repeatability-Request-ID").empty());
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-Request-ID"),
            HeaderOf(seen[1], "Repeatability-Request-ID"));
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-First-Sent"),
            HeaderOf(seen[1], "Repeatability-First-Sent"));
}

TEST(UserReports, NoIdempotencyKeyMeansOneAttempt) {
  RepeatableJobs jobs;
  const LroRun run = RunLro(Args({"start", "--no-idempotency-key", "-d", "{}", jobs.url()}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_THAT(run.err, HasSubstr("could run twice"));
  const auto seen = jobs.requests();
  ASSERT_EQ(seen.size(), 1U) << "a keyless POST is never sent twice";
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-Request-ID"), "");
  EXPECT_EQ(jobs.runs(), 1);
}

TEST(UserReports, CallersOwnKeyIsKept) {
  test::TestHttpServer server([](const HttpRequest& request) {
    static std::atomic<int> calls{0};
    if (calls++ == 0) return HttpResponse{503, {{"Retry-After", "0"}}, ""};
    return JsonResponse(201, R"({"key":")" + HeaderOf(request, "Idempotency-Key") + R"("})");
  });
  const LroRun run =
      RunLro(Args({"start", "-H", "Idempotency-Key: k-42", "-d", "{}", server.base_url() + "/j"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"key":"k-42"})");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(HeaderOf(seen[0], "Repeatability-Request-ID"), "");
}

TEST(UserReports, JsonCutShortIsAProtocolErrorNotASuccess) {
  test::TestHttpServer server([](const HttpRequest&) {
    return JsonResponse(
        200, R"({ "properties": { "provisioningState": "Creating"}, "id": "100", "name": "foo")");
  });
  const LroRun run = RunLro(Args({"start", "-X", "PUT", "-d", "{}", server.base_url() + "/r"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("does not parse"));
}

TEST(UserReports, StatusResultAndCancelOfAnUnreachableServerSayWhy) {
  const std::string monitor = DeadBase() + "/v1/operations/op-1";
  for (const char* command : {"status", "result", "cancel"}) {
    SCOPED_TRACE(command);
    const LroRun run = RunLro({command, monitor});
    EXPECT_EQ(run.exit_code, 4) << run.err;
    EXPECT_EQ(run.out, "") << "no assumed state";
    EXPECT_THAT(run.err, HasSubstr("127.0.0.1"));
    EXPECT_THAT(run.err, Not(HasSubstr("Running")));
    EXPECT_THAT(run.err, Not(HasSubstr("retry"))) << "asked once: nothing is retried";
  }
}

TEST(UserReports, StatusAndCancelOfAResumeTokenWhoseServerIsGoneSayWhy) {
  // The token's links are moved to a port the test holds and nobody listens on: a port the
  // service had just given back could be taken by another test meanwhile.
  const test::RefusingPort gone;
  std::string token;
  {
    FabricService fabric({.hold = true});
    const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
    ASSERT_EQ(started.exit_code, 0) << started.err;
    token = started.out;
    for (auto at = token.find(fabric.base_url()); at != std::string::npos;
         at = token.find(fabric.base_url(), at)) {
      token.replace(at, fabric.base_url().size(), gone.base_url());
    }
  }
  ASSERT_NE(token.find(gone.base_url()), std::string::npos) << token;
  for (const char* command : {"status", "result", "cancel"}) {
    SCOPED_TRACE(command);
    const LroRun run = RunLro({command, token});
    EXPECT_EQ(run.exit_code, 4) << run.err;
    EXPECT_EQ(run.out, "") << "no assumed state";
    EXPECT_THAT(run.err, HasSubstr("127.0.0.1"));
  }
}

TEST(UserReports, OptionValuesThatDoNotParseGetAReadableMessage) {
  for (const char* option : {"--timeout", "--interval"}) {
    SCOPED_TRACE(option);
    const LroRun run = RunLro({"wait", option, "abc", "https://example.com/ops/1"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_THAT(run.err, HasSubstr("'abc' is not a number of seconds"));
    EXPECT_FALSE(std::regex_search(run.err, std::regex("[0-9]{20}"))) << run.err;
  }
  const LroRun negative = RunLro({"wait", "--timeout", "-1", "https://example.com/ops/1"});
  EXPECT_EQ(negative.exit_code, 2) << negative.err;
  EXPECT_FALSE(std::regex_search(negative.err, std::regex("[0-9]{20}"))) << negative.err;
}

}  // namespace
}  // namespace lro::cli_test
