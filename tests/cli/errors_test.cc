// How `lro` ends when things go wrong: one line naming the cause and a distinct exit code per
// kind (SPEC §6); the local timeout; credentials (SPEC §8) never printed, never sent astray.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_services.h"
#include "gate.h"
#include "refusing_port.h"
#include "run_lro.h"
#include "test_http_server.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::vector<std::string> kFast = {"--interval", "0.01"};

std::vector<std::string> Args(std::vector<std::string> args) {
  args.insert(args.end(), kFast.begin(), kFast.end());
  return args;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// The lines of `err` that report an error ("lro: " + one of the error families).
std::vector<std::string> ErrorLines(const std::string& err) {
  std::vector<std::string> found;
  for (const std::string& line : Lines(err)) {
    for (const char* family : {"lro: operation failed", "lro: operation canceled",
                               "lro: request failed", "lro: unavailable", "lro: protocol error"}) {
      if (line.rfind(family, 0) == 0) found.push_back(line);
    }
  }
  return found;
}

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  auto value = FindHeader(request.headers, name);
  return value ? std::string(*value) : std::string();
}

TEST(Errors, OperationFailedNamesCodeMessageAndRequestId) {
  FabricService fabric({.end = "Failed"});
  const LroRun run = RunLro(Args({"start", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, "");
  const auto errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 1U) << run.err;
  EXPECT_EQ(errors[0],
            "lro: operation failed: CapacityNotActive: The capacity is paused (request id "
            "7d0f4f52-3c2b-4a1d-9b8e-2f1f6c1e0a11)");
  EXPECT_THAT(run.err, HasSubstr("lro: Failed 100% ("));
}

TEST(Errors, VerboseShowsMoreAboutTheFailure) {
  FabricService fabric({.end = "Failed"});
  const LroRun run = RunLro(Args({"start", "-v", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("  status: OPERATION_FAILED: "));
  // -v prints the request and response lines of the library's log.
  EXPECT_THAT(run.err, HasSubstr("* initial request: POST " + fabric.start_url()));
  EXPECT_THAT(run.err, HasSubstr("* response to initial request: HTTP 202"));
  EXPECT_THAT(run.err, HasSubstr("* poll: GET " + fabric.state_url()));
}

TEST(Errors, FabricOperationCanceledExitsThree) {
  FabricService fabric({.end = "Failed",
                        .error_code = "OperationCanceled",
                        .error_message = "The operation was canceled by the user"});
  const LroRun run = RunLro(Args({"start", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  const auto errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 1U) << run.err;
  EXPECT_THAT(errors[0], StartsWith("lro: operation canceled: OperationCanceled: "));
}

TEST(Errors, AzureCanceledExitsThree) {
  AzureService azure({.end = "Canceled"});
  const LroRun run = RunLro(Args({"start", azure.start_url()}));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("lro: operation canceled"));
}

TEST(Errors, AzureFailedExitsOne) {
  AzureService azure({.end = "Failed"});
  const LroRun run = RunLro(Args({"start", azure.start_url()}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const auto errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 1U) << run.err;
  EXPECT_THAT(errors[0], StartsWith("lro: operation failed: InvalidImage: The image is corrupt"));
}

TEST(Errors, RejectedStartNamesHttpStatusCodeAndRequestId) {
  test::TestHttpServer server([](const HttpRequest&) {
    return JsonResponse(400,
                        R"({"errorCode":"InvalidDisplayName","message":"Bad name",)"
                        R"("requestId":"req-400-1","isRetriable":false})",
                        {{"x-ms-public-api-error-code", "InvalidDisplayName"}});
  });
  const LroRun run = RunLro(Args({"start", "-d", "{}", server.base_url() + "/v1/items"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  const auto errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 1U) << run.err;
  EXPECT_EQ(errors[0],
            "lro: request failed: InvalidDisplayName: Bad name (HTTP 400, request id req-400-1)");
}

TEST(Errors, UnknownMonitorIsAPollingError) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"wait", fabric.base_url() + "/v1/operations/nope"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_THAT(run.err, HasSubstr("EntityNotFound"));
  EXPECT_THAT(run.err, HasSubstr("HTTP 404"));
}

TEST(Errors, ConnectionRefusedIsATransportError) {
  const test::RefusingPort refusing;
  const LroRun run = RunLro(Args({"start", refusing.base_url() + "/v1/items"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, StartsWith("lro: "));
}

TEST(Errors, StatusOfAFailedOperationIsNotAnError) {
  FabricService fabric({.running_polls = 0, .end = "Failed"});
  const LroRun run = RunLro({"status", fabric.state_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("status: Failed\n"));
  EXPECT_THAT(run.out, HasSubstr("error: operation failed: CapacityNotActive"));
}

TEST(Timeout, ExitsFiveWithATokenThatResumes) {
  // `wait` knows its operation before its clock starts (the token), so however slowly the
  // process starts, a held operation ends in the timeout and the token is handed back.
  FabricService fabric({.hold = true});
  const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const LroRun run = RunLro(Args({"wait", "--timeout", "0.3", started.out}));
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
  EXPECT_THAT(run.err, HasSubstr("lro: timed out"));
  EXPECT_THAT(run.err, HasSubstr("lro wait"));

  fabric.Release();
  const LroRun resumed = RunLro(Args({"wait", run.out}));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("Notebook 1"));
}

TEST(Timeout, StartTimesOutBeforeTheInitialAnswerWithoutAToken) {
  // The service never answers the POST in time: nothing to resume, and lro says so.
  test::Gate gate;
  test::TestHttpServer slow([&](const HttpRequest&) {
    gate.Pass();
    return HttpResponse{202, {{"Location", "http://127.0.0.1:1/op"}}, ""};
  });
  const LroRun run = RunLro(Args({"start", "--timeout", "0.3", slow.base_url() + "/v1/items"}));
  gate.Open();
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("before the service answered the initial request"));
}

TEST(Timeout, JsonModeSaysItAsAnEvent) {
  FabricService fabric({.hold = true});
  const LroRun run = RunLro(Args({"wait", "--json", "--timeout", "0.2", fabric.state_url()}));
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_THAT(run.err, HasSubstr(R"("event":"timeout")"));
  EXPECT_THAT(run.err, HasSubstr(R"("resumeToken":)"));
}

// --- credentials -------------------------------------------------------------------------------

constexpr const char* kSecret = "s3cr3t-bearer-value";

TEST(Credentials, BearerIsSentButNeverPrinted) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"start", "-v", "--bearer", kSecret, fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("* poll: GET"));
  EXPECT_THAT(run.err, Not(HasSubstr(kSecret)));
  EXPECT_THAT(run.out, Not(HasSubstr(kSecret)));
  for (const auto& request : fabric.requests()) {
    EXPECT_EQ(HeaderOf(request, "Authorization"), std::string("Bearer ") + kSecret) << request.url;
  }
}

TEST(Credentials, BearerFromTheEnvironmentAndNeverInTheToken) {
  FabricService fabric;
  const LroRun run =
      RunLro(Args({"start", "--no-wait", fabric.start_url()}), {.env = {{"LRO_BEARER", kSecret}}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
  EXPECT_THAT(run.out, Not(HasSubstr(kSecret)));
  EXPECT_EQ(HeaderOf(fabric.requests().at(0), "Authorization"), std::string("Bearer ") + kSecret);
}

// Fabric may send polls to a regional host (SPEC §1, §8): another origin gets no credential
// unless --allow-host names it.
TEST(Credentials, NotSentToAnotherOriginUnlessAllowed) {
  for (const bool allowed : {false, true}) {
    SCOPED_TRACE(allowed ? "--allow-host" : "no --allow-host");
    FabricService fabric;
    test::TestHttpServer regional([&fabric](const HttpRequest& r) { return fabric.Handle(r); });
    fabric.set_link_base(regional.base_url());
    std::vector<std::string> args = {"start", "--bearer", kSecret, fabric.start_url()};
    if (allowed) args.insert(args.end(), {"--allow-host", "127.0.0.1"});
    const LroRun run = RunLro(Args(args));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(HeaderOf(fabric.requests().at(0), "Authorization"), std::string("Bearer ") + kSecret);
    ASSERT_GE(regional.requests().size(), 2U);
    for (const auto& request : regional.requests()) {
      EXPECT_EQ(HeaderOf(request, "Authorization"),
                allowed ? std::string("Bearer ") + kSecret : std::string())
          << request.url;
    }
  }
}

}  // namespace
}  // namespace lro::cli_test
