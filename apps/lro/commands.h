// The five commands of `lro`, over the client library.
#pragma once

#include "arguments.h"

namespace lro::cli {

// Runs the parsed command and returns the process's exit code (see exit_codes.h).
int RunCommand(const Arguments& args);

}  // namespace lro::cli
