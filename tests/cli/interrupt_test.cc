// Ctrl-C: polling stops, the operation goes on server-side, the resume token is printed on
// stdout and `lro` exits 130; a later `lro wait TOKEN` finishes the job. Sent as a signal, and
// typed on a real pseudo-terminal (lro's controlling terminal); a second Ctrl-C ends lro at
// once when the first one cannot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
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

// Whether a SIGINT sent to process `pid` is still waiting to be taken.
bool SigintPending(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("ShdPnd:", 0) == 0) {
      return (std::stoull(line.substr(7), nullptr, 16) & (1ULL << (SIGINT - 1))) != 0;
    }
  }
  return false;
}

TEST(Interrupt, CtrlCTypedOnTheTerminalStopsWaitingAndPrintsAToken) {
  FabricService fabric({.hold = true});
  LroProcess lro({"start", "--interval", "0.01", fabric.start_url()},
                 {.stderr_on_pty = true, .controlling_terminal = true});
  ASSERT_TRUE(lro.WaitForStderr("45%")) << "the operation never showed as running";
  lro.Type("\x03");  // the terminal, not the test, sends SIGINT
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_THAT(run.out, HasSubstr("resume-token"));
  EXPECT_THAT(run.err, HasSubstr("^C"));
  EXPECT_THAT(run.err, HasSubstr("interrupted; the operation goes on server-side"));
}

TEST(Interrupt, ASecondCtrlCEndsLroWhileTheFirstOneCannotFinish) {
  // A result far larger than a pipe holds, written to a stdout the test does not read: lro is
  // stuck in that write, and the first Ctrl-C cannot end it.
  FabricService fabric({.running_polls = 0,
                        .result_body = std::string(4 << 20, 'r'),
                        .result_content_type = "application/octet-stream"});
  LroProcess lro({"start", "--interval", "0.01", fabric.start_url()},
                 {.stderr_on_pty = true, .controlling_terminal = true, .hold_stdout = true});
  ASSERT_TRUE(lro.WaitFor([&lro](const std::string&, const std::string&) {
    return lro.UnreadStdout() >=
           std::size_t{64} * 1024;  // the pipe is full: lro is blocked writing
  })) << "lro never filled its stdout";
  lro.Type("\x03");
  // Typed, echoed, and taken by lro (no longer pending) ...
  ASSERT_TRUE(lro.WaitFor([&lro](const std::string&, const std::string& err) {
    return err.find("^C") != std::string::npos && !SigintPending(lro.pid());
  }));
  // ... lro is still stuck; the second Ctrl-C ends it at once.
  lro.Type("\x03");
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_LT(run.out.size(), std::size_t{4} << 20) << "lro finished writing the result";
}

}  // namespace
}  // namespace lro::cli_test
