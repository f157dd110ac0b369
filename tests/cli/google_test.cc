// `lro` speaks Google's long-running operations (AIP-151) like every other convention.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "fake_services.h"
#include "run_lro.h"
#include "test_http_server.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;

// POST /v1/projects/p/jobs answers Operation operations/op-3 (not done); GET
// /v1/operations/op-3 says not done once (60%), then done with `end`.
class GoogleService {
 public:
  explicit GoogleService(std::string end)
      : end_(std::move(end)),
        server_([this](const HttpRequest& request) { return Handle(request); }) {}
  [[nodiscard]] std::string call_url() const { return server_.base_url() + "/v1/projects/p/jobs"; }
  [[nodiscard]] std::string operation_url() const {
    return server_.base_url() + "/v1/operations/op-3";
  }

 private:
  HttpResponse Handle(const HttpRequest& request) {
    const std::string path = PathOf(request.url);
    if (request.method == "POST" && path == "/v1/projects/p/jobs") {
      return JsonResponse(200, R"({"name":"operations/op-3","done":false})");
    }
    if (request.method == "GET" && path == "/v1/operations/op-3") {
      if (polls_++ == 0) {
        return JsonResponse(
            200, R"({"name":"operations/op-3","done":false,"metadata":{"progressPercent":60}})");
      }
      return JsonResponse(200, R"({"name":"operations/op-3","done":true,)" + end_ + "}");
    }
    return JsonResponse(404, R"({"error":{"code":404,"message":"no route"}})");
  }

  std::string end_;
  std::atomic<int> polls_{0};
  test::TestHttpServer server_;
};

TEST(Google, StartPrintsTheResponse) {
  GoogleService google(R"("response":{"id":"job-3"})");
  const LroRun run = RunLro({"start", "--interval", "0.01", "-d", "{}", google.call_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"job-3"})");
}

TEST(Google, ErrorExitsOneNamingTheRpcCode) {
  GoogleService google(R"("error":{"code":7,"message":"no access"})");
  const LroRun run =
      RunLro({"start", "--mode", "google", "--interval", "0.01", "-d", "{}", google.call_url()});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("PERMISSION_DENIED: no access"));
}

TEST(Google, StatusOfAnOperationUrl) {
  GoogleService google(R"("response":{})");
  const LroRun run = RunLro({"status", "--mode", "google", google.operation_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("status: Running\n"));
  EXPECT_THAT(run.out, HasSubstr("percentComplete: 60\n"));
}

}  // namespace
}  // namespace lro::cli_test
