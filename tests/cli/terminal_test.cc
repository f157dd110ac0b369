// The progress display as a person sees it: stderr on a pseudo-terminal gets one live line
// redrawn in place (status, a bar with the percentage, elapsed time, time to the next poll);
// a pipe gets plain lines without control characters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_services.h"
#include "run_lro.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The segments a terminal shows one after the other: the text between carriage returns, with
// the erase-line sequence removed.
std::vector<std::string> Frames(const std::string& screen) {
  std::vector<std::string> frames;
  std::string current;
  for (std::size_t i = 0; i < screen.size(); ++i) {
    if (screen.compare(i, 3, "\x1b[K") == 0) {
      i += 2;
    } else if (screen[i] == '\r' || screen[i] == '\n') {
      if (!current.empty()) frames.push_back(current);
      current.clear();
    } else {
      current += screen[i];
    }
  }
  if (!current.empty()) frames.push_back(current);
  return frames;
}

TEST(Terminal, LiveLineShowsStatusBarElapsedAndCountdown) {
  // Retry-After: 1 while held at 45%: the countdown has something to count.
  FabricService fabric({.running_polls = 0, .retry_after = 1, .hold = true});
  LroProcess lro({"start", fabric.start_url()}, {.stderr_on_pty = true});

  // Moment 1: running at 45%, waiting for the next poll.
  ASSERT_TRUE(lro.WaitFor([](const std::string&, const std::string& err) {
    return err.find("45%") != std::string::npos && err.find("next poll in") != std::string::npos;
  })) << "never drew the live line";
  fabric.Release();

  // Moment 2: the end.
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})");

  // Redrawn in place: carriage return + erase to end of line.
  EXPECT_THAT(run.err, HasSubstr("\r\x1b[K"));
  const std::vector<std::string> frames = Frames(run.err);
  bool saw_bar = false;
  for (const std::string& frame : frames) {
    if (frame.find("Running [##########--------------] 45%  ") == 0 &&
        frame.find("next poll in ") != std::string::npos) {
      saw_bar = true;
    }
    EXPECT_LT(frame.size(), 100U) << frame;  // never wraps on a 100-column terminal
  }
  EXPECT_TRUE(saw_bar) << ::testing::PrintToString(frames);
  // The last state stays on screen as an ordinary line.
  ASSERT_FALSE(frames.empty());
  EXPECT_THAT(frames.back(), ::testing::StartsWith("Succeeded 100% ("));
  EXPECT_EQ(run.err.back(), '\n');
}

TEST(Terminal, NarrowTerminalDropsTheBarButKeepsThePercent) {
  FabricService fabric({.running_polls = 0, .retry_after = 1, .hold = true});
  LroProcess lro({"start", fabric.start_url()}, {.stderr_on_pty = true, .pty_columns = 40});
  ASSERT_TRUE(lro.WaitFor([](const std::string&, const std::string& err) {
    return err.find("45%") != std::string::npos;
  }));
  fabric.Release();
  const LroRun run = lro.Finish();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("[#")));
  for (const std::string& frame : Frames(run.err)) EXPECT_LT(frame.size(), 40U) << frame;
}

TEST(Terminal, QuietDrawsNothing) {
  FabricService fabric;
  const LroRun run =
      RunLro({"start", "-q", "--interval", "0.01", fabric.start_url()}, {.stderr_on_pty = true});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
}

TEST(Terminal, ErrorsStayReadableOnTheTerminal) {
  FabricService fabric({.end = "Failed"});
  const LroRun run =
      RunLro({"start", "--interval", "0.01", fabric.start_url()}, {.stderr_on_pty = true});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::vector<std::string> frames = Frames(run.err);
  ASSERT_FALSE(frames.empty());
  EXPECT_THAT(frames.back(), ::testing::StartsWith("lro: operation failed: CapacityNotActive"));
}

TEST(NotATerminal, PlainLinesWithoutControlCharacters) {
  FabricService fabric({.running_polls = 3});
  const LroRun run = RunLro({"start", "--interval", "0.01", fabric.start_url()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find_first_of("\r\x1b"), std::string::npos) << run.err;
  // One line per state change.
  EXPECT_THAT(run.err, HasSubstr("lro: Running 0% ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Running 33% ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Running 66% ("));
  EXPECT_THAT(run.err, HasSubstr("lro: Succeeded 100% ("));
}

}  // namespace
}  // namespace lro::cli_test
