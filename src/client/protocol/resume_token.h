// The resume token's wire form: versioned JSON, validated on the way in. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro::internal {

inline constexpr int kResumeTokenVersion = 1;
inline constexpr std::string_view kHttpOperationKind = "http";

// What an HTTP operation needs to go on elsewhere. Never a credential: headers holds only the
// caller's non-sensitive headers, and cookies are left out (they may be session credentials).
struct ResumeTokenFields {
  std::string method;
  std::string original_url;
  std::string mode;
  std::string phase;  // "polling", "final" or "done"
  std::string monitor_url;
  std::string location;
  std::string final_url;
  std::string api_version;
  Headers headers;
  std::string status;
  // phase "done" (finished synchronously): the outcome.
  bool succeeded = false;
  std::optional<Result> result;
  std::string error_message;
};

std::string EncodeResumeToken(const ResumeTokenFields& fields);
// kInvalidArgument, with a message naming the problem, when the token is not JSON, not a
// resume token, of another kind or version, or lacks a field.
StatusOr<ResumeTokenFields> DecodeResumeToken(std::string_view token);

}  // namespace lro::internal
