// `lro --help`, `lro CMD --help`, --version and usage errors (exit code 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "run_lro.h"

namespace lro::cli_test {
namespace {

using ::testing::HasSubstr;

TEST(CliHelp, TopLevelHelpListsCommandsAndExitCodes) {
  const LroRun run = RunLro({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* text : {"start", "wait", "status", "result", "cancel", "Exit codes:", "130",
                           "local timeout", "usage error", "operation was canceled"}) {
    EXPECT_THAT(run.out, HasSubstr(text));
  }
}

TEST(CliHelp, EveryCommandHasCompleteHelp) {
  for (const char* command : {"start", "wait", "status", "result", "cancel"}) {
    SCOPED_TRACE(command);
    const LroRun run = RunLro({command, "--help"});
    EXPECT_EQ(run.exit_code, 0);
    for (const char* text : {"--timeout", "--interval", "--json", "--quiet", "--verbose",
                             "--bearer", "LRO_BEARER", "--allow-host", "Exit codes:"}) {
      EXPECT_THAT(run.out, HasSubstr(text));
    }
  }
  const LroRun start = RunLro({"start", "--help"});
  for (const char* text :
       {"-X", "--data", "--header", "--no-wait", "--final-state-via", "--mode"}) {
    EXPECT_THAT(start.out, HasSubstr(text));
  }
}

TEST(CliHelp, Version) {
  const LroRun run = RunLro({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("lro 0."));
}

struct UsageCase {
  const char* name;
  std::vector<std::string> args;
  const char* message;
};

class CliUsage : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsage, ExitsTwoWithOneLine) {
  const LroRun run = RunLro(GetParam().args);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_THAT(run.err, HasSubstr("lro: "));
  EXPECT_THAT(run.err, HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, CliUsage,
    ::testing::Values(
        UsageCase{"NoCommand", {}, "subcommand"},
        UsageCase{"UnknownCommand", {"frobnicate"}, "frobnicate"},
        UsageCase{"UnknownOption", {"wait", "--frob", "{}"}, "--frob"},
        UsageCase{"StartWithoutUrl", {"start"}, "url"},
        UsageCase{"BadMode", {"start", "--mode", "psychic", "http://127.0.0.1:1/x"}, "psychic"},
        UsageCase{"BadFinalStateVia",
                  {"start", "--final-state-via", "elsewhere", "http://127.0.0.1:1/x"},
                  "elsewhere"},
        UsageCase{"NegativeTimeout", {"wait", "--timeout", "-3", "{}"}, "timeout"},
        UsageCase{"QuietAndVerbose", {"wait", "-q", "-v", "{}"}, "excludes"},
        UsageCase{"TargetNeitherTokenNorUrl", {"wait", "op-1"}, "resume token"},
        UsageCase{"MalformedToken", {"status", "{not json"}, "resume token"},
        UsageCase{"TokenOfAnotherKind", {"wait", R"({"hello":"world"})"}, "resume token"},
        UsageCase{
            "UnreadableTokenFile", {"wait", "@/nonexistent/token.json"}, "/nonexistent/token.json"},
        UsageCase{"UnreadableDataFile",
                  {"start", "-d", "@/nonexistent/body.json", "http://127.0.0.1:1/x"},
                  "/nonexistent/body.json"},
        UsageCase{"HeaderWithoutColon",
                  {"start", "-H", "NoColon", "http://127.0.0.1:1/x"},
                  "Name: value"},
        UsageCase{"RelativeUrl", {"start", "/v1/items"}, "not an absolute http(s) URL"}),
    [](const ::testing::TestParamInfo<UsageCase>& param_info) {
      return std::string(param_info.param.name);
    });

}  // namespace
}  // namespace lro::cli_test
