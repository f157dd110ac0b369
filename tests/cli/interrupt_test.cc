// Ctrl-C: polling stops, the operation goes on server-side, the resume token is printed on
// stdout and `lro` exits 130; a later `lro wait TOKEN` finishes the job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "fake_services.h"
#include "run_lro.h"
#include "test_http_server.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;

TEST(Interrupt, CtrlCWhileWaitingPrintsATokenThatResumes) {
  FabricService fabric({.hold = true});
  LroProcess lro({"start", "--interval", "0.01", fabric.start_url()});
  ASSERT_TRUE(lro.WaitForStderr("lro: Running 45%")) << "the operation never showed as running";
  lro.Signal(SIGINT);
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
  EXPECT_THAT(run.err, HasSubstr("lro: interrupted; the operation goes on server-side"));
  const int polls_at_interrupt = fabric.polls();

  // The operation went on without us; the token picks it up.
  fabric.Release();
  const LroRun resumed = RunLro({"wait", "--interval", "0.01", run.out});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");
  EXPECT_GT(fabric.polls(), polls_at_interrupt);
}

TEST(Interrupt, CtrlCInJsonModeIsAnEvent) {
  FabricService fabric({.hold = true});
  LroProcess lro({"wait", "--json", "--interval", "0.01", fabric.state_url()});
  ASSERT_TRUE(lro.WaitForStderr(R"("percentComplete":45)"));
  lro.Signal(SIGINT);
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_THAT(run.err, HasSubstr(R"("event":"interrupted")"));
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
}

TEST(Interrupt, CtrlCBeforeTheServiceAnswersTheStart) {
  std::atomic<bool> release{false};
  test::TestHttpServer slow([&release](const HttpRequest&) {
    // Hold the initial request back (bounded, so a failed test cannot hang the server).
    for (int i = 0; i < 200 && !release; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return HttpResponse{202, {{"Operation-Location", "/operations/1"}}, ""};
  });
  LroProcess lro({"start", slow.base_url() + "/v1/items"});
  ASSERT_TRUE(lro.WaitFor(
      [&slow](const std::string&, const std::string&) { return !slow.requests().empty(); }));
  lro.Signal(SIGINT);
  const LroRun run = lro.Finish();
  release = true;
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("before the service answered the initial request"));
}

}  // namespace
}  // namespace lro::cli_test
