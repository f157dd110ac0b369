// `lro` against a service of each convention (SPEC §1–5): the result on stdout byte for byte,
// one line per state change on stderr, exit code 0; and the commands that resume an
// operation: --no-wait, wait, status, result, cancel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_services.h"
#include "run_lro.h"
#include "test_http_server.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Small waits: every server answers Retry-After: 0; --interval covers the rest.
const std::vector<std::string> kFast = {"--interval", "0.01"};

std::vector<std::string> Args(std::vector<std::string> args) {
  args.insert(args.end(), kFast.begin(), kFast.end());
  return args;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  std::string path = ::testing::TempDir() + "/lro_cli_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string TrimNewline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  auto value = FindHeader(request.headers, name);
  return value ? std::string(*value) : std::string();
}

// --- one convention each -------------------------------------------------------------------

TEST(Conventions, FabricWithResult) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"start", "-d", R"({"displayName":"nb"})", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
  // Off a terminal: one plain line per state change, no control characters.
  EXPECT_THAT(run.err, HasSubstr("lro: Running 0% ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Running 50% ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Succeeded 100% ("));
  EXPECT_EQ(run.err.find_first_of("\r\x1b"), std::string::npos) << run.err;

  const auto requests = fabric.requests();
  ASSERT_GE(requests.size(), 4U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, R"({"displayName":"nb"})");
  EXPECT_EQ(HeaderOf(requests[0], "Content-Type"), "application/json");
  EXPECT_EQ(requests.back().url, "/v1/operations/op-1/result");
}

TEST(Conventions, FabricWithoutResultPrintsNothing) {
  FabricService fabric({.has_result = false});
  const LroRun run = RunLro(Args({"start", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("Succeeded"));
  for (const auto& request : fabric.requests()) {
    EXPECT_NE(request.url, "/v1/operations/op-1/result");
  }
}

TEST(Conventions, FabricBinaryResultIsWrittenByteForByte) {
  const std::string bytes("PK\x03\x04\x00\x00\xff\xfe binary \x00 export\n\r", 26);
  FabricService fabric({.result_body = bytes, .result_content_type = "application/octet-stream"});
  const LroRun run = RunLro(Args({"start", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, bytes);
}

TEST(Conventions, AzureOperationLocation) {
  AzureService azure;
  const LroRun run =
      RunLro(Args({"start", "-d", R"({"url":"https://x/img.png"})", azure.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"pages":3,"language":"en"})");
  EXPECT_THAT(run.err, HasSubstr("lro: NotStarted ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Succeeded ("));
}

TEST(Conventions, AzureAsyncOperation) {
  AzureService azure({.link_header = "Azure-AsyncOperation"});
  const LroRun run = RunLro(Args({"start", azure.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"pages":3,"language":"en"})");
}

TEST(Conventions, ArmLocationPolling) {
  std::atomic<int> polls{0};
  test::TestHttpServer arm([&polls](const HttpRequest& request) {
    if (request.method == "POST") {
      return HttpResponse{202, {{"Location", "/arm/ops/7"}, {"Retry-After", "0"}}, ""};
    }
    if (++polls < 3) return HttpResponse{202, {{"Retry-After", "0"}}, ""};
    return JsonResponse(200, R"({"name":"vm1","properties":{"powerState":"stopped"}})");
  });
  const LroRun run = RunLro(Args({"start", arm.base_url() + "/subscriptions/s/vms/vm1/stop"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"name":"vm1","properties":{"powerState":"stopped"}})");
  EXPECT_EQ(polls.load(), 3);
}

TEST(Conventions, Synchronous201SendsOneRequest) {
  test::TestHttpServer sync([](const HttpRequest&) {
    return JsonResponse(201, R"({"id":"ws-2","displayName":"Sales"})");
  });
  const LroRun run = RunLro(Args({"start", "-X", "put", "-d", R"({"displayName":"Sales"})",
                                  sync.base_url() + "/v1/workspaces/ws-2"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"ws-2","displayName":"Sales"})");
  ASSERT_EQ(sync.requests().size(), 1U);
  EXPECT_EQ(sync.requests()[0].method, "PUT");
}

TEST(Conventions, UnknownStatusIsShownAndPollingGoesOn) {
  std::atomic<int> polls{0};
  test::TestHttpServer server([&polls](const HttpRequest& request) {
    if (request.method == "POST") {
      return HttpResponse{202, {{"Operation-Location", "/ops/1"}, {"Retry-After", "0"}}, ""};
    }
    if (++polls < 3) return JsonResponse(200, R"({"id":"1","status":"Defragmenting"})");
    return JsonResponse(200, R"({"id":"1","status":"Succeeded","result":{"ok":true}})");
  });
  const LroRun run = RunLro(Args({"start", server.base_url() + "/jobs"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"ok":true})");
  EXPECT_THAT(run.err, HasSubstr("lro: Defragmenting (unknown status) ("));
  EXPECT_THAT(run.err, HasSubstr("Defragmenting"));
}

TEST(Conventions, SynchronousNoWaitTokenCarriesTheResult) {
  test::TestHttpServer sync(
      [](const HttpRequest&) { return JsonResponse(200, R"({"id":"ws-3"})"); });
  const LroRun started = RunLro({"start", "--no-wait", sync.base_url() + "/v1/workspaces"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_THAT(started.err, HasSubstr("finished synchronously"));
  const LroRun result = RunLro({"result", started.out});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, R"({"id":"ws-3"})");
  EXPECT_EQ(sync.requests().size(), 1U);
}

// --- the request -------------------------------------------------------------------------

TEST(Request, DataFromFileAndHeadersCarriedToPolls) {
  FabricService fabric;
  const std::string body = "{\n  \"displayName\": \"from file\"\n}\n";
  const std::string path = WriteTempFile("body.json", body);
  const LroRun run = RunLro(Args({"start", "-d", "@" + path, "-H", "x-ms-client-request-id: c-77",
                                  "--header", "X-Trace:  on", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto requests = fabric.requests();
  ASSERT_GE(requests.size(), 2U);
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(HeaderOf(requests[0], "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(requests[0], "X-Trace"), "on");
  for (const auto& request : requests) {
    EXPECT_EQ(HeaderOf(request, "x-ms-client-request-id"), "c-77") << request.url;
  }
}

TEST(Request, HeaderContentTypeWinsOverJson) {
  FabricService fabric;
  const LroRun run =
      RunLro(Args({"start", "-H", "Content-Type: text/plain", "-d", "hello", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const HttpRequest initial = fabric.requests().at(0);
  EXPECT_EQ(HeaderOf(initial, "Content-Type"), "text/plain");
  int content_types = 0;
  for (const auto& header : initial.headers) {
    if (header.name == "Content-Type" || header.name == "content-type") ++content_types;
  }
  EXPECT_EQ(content_types, 1);
  EXPECT_EQ(initial.body, "hello");
}

TEST(Request, DataFromStdin) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"start", "-d", "@-", fabric.start_url()}),
                            {.stdin_data = R"({"displayName":"piped"})"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(fabric.requests().at(0).body, R"({"displayName":"piped"})");
}

// --- resuming ------------------------------------------------------------------------------

TEST(Resume, NoWaitPrintsATokenThatWaitCompletes) {
  FabricService fabric;
  const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string token = TrimNewline(started.out);
  EXPECT_THAT(token, StartsWith("{"));
  EXPECT_THAT(token, HasSubstr("resume-token"));
  EXPECT_EQ(started.out.back(), '\n');
  EXPECT_EQ(fabric.polls(), 0);
  EXPECT_THAT(started.err, HasSubstr("lro wait"));

  const LroRun waited = RunLro(Args({"wait", token}));
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(waited.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
}

TEST(Resume, WaitReadsTheTokenFromAFileOrStdin) {
  FabricService fabric;
  const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string path = WriteTempFile("token.json", started.out);

  const LroRun from_file = RunLro(Args({"wait", "@" + path}));
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_THAT(from_file.out, HasSubstr("Notebook 1"));

  const LroRun from_stdin = RunLro(Args({"wait", "-"}), {.stdin_data = started.out});
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_THAT(from_stdin.out, HasSubstr("Notebook 1"));
}

TEST(Resume, WaitOnABareStatusMonitorUrl) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"wait", fabric.state_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
}

TEST(Resume, StatusPrintsOneState) {
  FabricService fabric({.hold = true});
  const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string token = TrimNewline(started.out);

  const LroRun text = RunLro({"status", token});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("status: Running\n"));
  EXPECT_THAT(text.out, HasSubstr("percentComplete: 45\n"));
  EXPECT_THAT(text.out, HasSubstr("createdTimeUtc: 2023-11-13T22:24:40.477Z\n"));
  EXPECT_EQ(fabric.polls(), 1);

  const LroRun json = RunLro({"status", "--json", token});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  const boost::json::value state = boost::json::parse(json.out);
  EXPECT_EQ(state.at("status").as_string(), "Running");
  EXPECT_EQ(state.at("percentComplete").to_number<int>(), 45);
  EXPECT_FALSE(state.at("done").as_bool());
  EXPECT_THAT(std::string(state.at("resumeToken").as_string()), HasSubstr("resume-token"));
  EXPECT_EQ(fabric.polls(), 2);
}

TEST(Resume, StatusOfAFinishedOperationNamesTheResult) {
  FabricService fabric({.running_polls = 0});
  const LroRun run = RunLro({"status", "--json", fabric.state_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const boost::json::value state = boost::json::parse(run.out);
  EXPECT_EQ(state.at("status").as_string(), "Succeeded");
  EXPECT_TRUE(state.at("done").as_bool());
  EXPECT_EQ(state.at("outcome").as_string(), "SUCCEEDED");
  EXPECT_EQ(state.at("result").at("contentType").as_string(), "application/json");
}

TEST(Resume, ResultExitsSixUntilTheOperationFinishes) {
  FabricService fabric({.running_polls = 0, .hold = true});
  const LroRun started = RunLro(Args({"start", "--no-wait", fabric.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string token = TrimNewline(started.out);

  const LroRun early = RunLro({"result", token});
  EXPECT_EQ(early.exit_code, 6) << early.err;
  EXPECT_EQ(early.out, "");
  EXPECT_THAT(early.err, HasSubstr("has not finished yet (Running, 45%)"));

  fabric.Release();
  const LroRun done = RunLro({"result", token});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
}

TEST(Resume, CancelThenWaitReportsCanceled) {
  AzureService azure({.run_until_cancelled = true});
  const LroRun started = RunLro(Args({"start", "--no-wait", azure.start_url()}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string token = TrimNewline(started.out);

  const LroRun cancel = RunLro({"cancel", token});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_TRUE(azure.cancel_received());
  EXPECT_THAT(cancel.out, HasSubstr("status: "));
  EXPECT_THAT(cancel.err, HasSubstr("cancel requested"));

  const LroRun waited = RunLro(Args({"wait", token}));
  EXPECT_EQ(waited.exit_code, 3) << waited.err;
  EXPECT_EQ(waited.out, "");
  EXPECT_THAT(waited.err, HasSubstr("lro: operation canceled"));
}

TEST(Resume, CancelWaitOnAMonitorUrl) {
  AzureService azure({.run_until_cancelled = true});
  const LroRun run = RunLro(Args({"cancel", "--wait", azure.monitor_url()}));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_TRUE(azure.cancel_received());
  bool cancel_sent = false;
  for (const auto& request : azure.requests()) {
    if (request.method == "POST" && PathOf(request.url) == "/operations/op-9:cancel") {
      cancel_sent = true;
    }
  }
  EXPECT_TRUE(cancel_sent);
}

// --- machine-readable output -----------------------------------------------------------------

TEST(Json, EventsOnStderrResultOnStdout) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"start", "--json", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
  std::vector<std::string> events;
  std::istringstream lines(run.err);
  for (std::string line; std::getline(lines, line);) {
    const boost::json::value event = boost::json::parse(line);  // every line is JSON
    events.emplace_back(event.at("event").as_string());
    if (event.at("event").as_string() == "state" && event.at("status").as_string() == "Running") {
      EXPECT_TRUE(event.at("percentComplete").is_int64());
    }
  }
  EXPECT_THAT(events, ::testing::Contains("state"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "done");
}

TEST(Json, NoWaitPrintsTheStateWithItsToken) {
  FabricService fabric;
  const LroRun run = RunLro({"start", "--no-wait", "--json", fabric.start_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const boost::json::value state = boost::json::parse(run.out);
  EXPECT_FALSE(state.at("done").as_bool());
  EXPECT_THAT(std::string(state.at("resumeToken").as_string()), HasSubstr("resume-token"));
  EXPECT_EQ(run.err, "");
}

TEST(Quiet, NothingOnStderrWhenAllGoesWell) {
  FabricService fabric;
  const LroRun run = RunLro(Args({"start", "-q", fabric.start_url()}));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, HasSubstr("Notebook 1"));
}

}  // namespace
}  // namespace lro::cli_test
