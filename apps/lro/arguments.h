// The command line of `lro`: what each command accepts, parsed with CLI11.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lro/options.h"

namespace lro::cli {

enum class Command { kStart, kWait, kStatus, kResult, kCancel };

// Options every command takes.
struct CommonOptions {
  std::optional<double> timeout_seconds;   // local deadline for the whole command
  std::optional<double> interval_seconds;  // poll interval when the server gives no hint
  int prefer_wait_seconds = 30;            // Prefer: wait=N on polls (0 = never ask)
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  std::string bearer;  // --bearer or LRO_BEARER; never printed
  std::vector<std::string> allowed_hosts;
  std::string ca_file;
  PollingMode mode = PollingMode::kAuto;
  FinalStateVia final_state_via = FinalStateVia::kDefault;
};

// `lro start`.
struct StartOptions {
  std::string method = "POST";
  std::string url;
  std::optional<std::string> data;   // as given: text, @file or @- (stdin)
  std::vector<std::string> headers;  // "Name: value"
  bool no_wait = false;
  bool no_idempotency_key = false;  // a POST goes without Repeatability-Request-ID
};

// wait, status, result, cancel: which operation.
struct TargetOptions {
  std::string target;  // resume token, @file, - (stdin) or status monitor URL
  bool wait = false;   // cancel --wait
};

struct Arguments {
  Command command = Command::kStart;
  CommonOptions common;
  StartOptions start;
  TargetOptions target;
};

// Parses the command line. Returns the arguments, or the exit code to end with when parsing
// ended the program (--help, --version: 0; a usage error: 2, already reported on stderr).
std::variant<Arguments, int> ParseArguments(int argc, char** argv);

}  // namespace lro::cli
