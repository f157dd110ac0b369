#include "exit_codes.h"

namespace lro::cli {

ExitCode ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return ExitCode::kOk;
    case StatusCode::kOperationFailed:
      return ExitCode::kOperationFailed;
    case StatusCode::kOperationCanceled:
      return ExitCode::kOperationCanceled;
    case StatusCode::kInvalidArgument:
      return ExitCode::kUsage;
    case StatusCode::kDeadlineExceeded:
      return ExitCode::kTimeout;
    case StatusCode::kCancelled:
    case StatusCode::kStopped:
      return ExitCode::kInterrupted;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kHttpError:
    case StatusCode::kUnavailable:
    case StatusCode::kProtocolError:
    case StatusCode::kInternal:
      return ExitCode::kRequestError;
  }
  return ExitCode::kRequestError;
}

const char* const kExitCodesHelp =
    "Exit codes:\n"
    "  0    succeeded (status, cancel: the service answered)\n"
    "  1    the operation failed\n"
    "  2    usage error: bad option, malformed resume token or URL, unreadable file\n"
    "  3    the operation was canceled\n"
    "  4    polling or transport error: HTTP error, connection, protocol, refused cancel\n"
    "  5    local timeout (--timeout): the operation goes on; resume token on stdout\n"
    "  6    result: the operation has not finished yet\n"
    "  130  interrupted (Ctrl-C): the operation goes on; resume token on stdout\n";

}  // namespace lro::cli
