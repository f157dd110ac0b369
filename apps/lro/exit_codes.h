// The exit codes of `lro`: one per way a command can end, documented in `lro --help` and
// docs/cli.md. Scripts branch on them, so they never change meaning.
#pragma once

#include "lro/status.h"

namespace lro::cli {

enum class ExitCode : int {
  kOk = 0,                 // succeeded (status/cancel: the request was answered)
  kOperationFailed = 1,    // the service says the operation failed
  kUsage = 2,              // bad flags, malformed token or URL, unreadable file
  kOperationCanceled = 3,  // the operation ended canceled
  kRequestError = 4,       // polling or transport error: HTTP error, connection, protocol
  kTimeout = 5,            // --timeout passed first; the operation goes on
  kNotFinished = 6,        // `lro result`: the operation has not finished yet
  kInterrupted = 130,      // Ctrl-C; the operation goes on
};

[[nodiscard]] constexpr int ToInt(ExitCode code) { return static_cast<int>(code); }

// The exit code for a command that ended with `status` (not OK).
[[nodiscard]] ExitCode ExitCodeFor(const Status& status);

// The "Exit codes:" table printed at the end of `lro --help` and every `lro CMD --help`.
extern const char* const kExitCodesHelp;

}  // namespace lro::cli
