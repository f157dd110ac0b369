// What the user hands `lro` besides flags: request bodies, headers, and the operation to
// resume (a token, a file or stdin holding one, or a status monitor URL).
#pragma once

#include <string>
#include <string_view>

#include "lro/http.h"
#include "lro/status.h"

namespace lro::cli {

// -d's argument: the text itself, @FILE for the file's bytes, @- for stdin's.
// kInvalidArgument naming the file when it cannot be read.
[[nodiscard]] StatusOr<std::string> ReadData(const std::string& data);

// -H's argument, "Name: value" (spaces after the colon skipped). kInvalidArgument without a
// colon or a name.
[[nodiscard]] StatusOr<Header> ParseHeader(std::string_view text);

struct Target {
  enum class Kind { kResumeToken, kMonitorUrl };
  Kind kind = Kind::kResumeToken;
  std::string text;
};

// TOKEN (JSON starting with '{'), @FILE or - (stdin) holding a token or URL, or an http(s)
// URL. kInvalidArgument for anything else.
[[nodiscard]] StatusOr<Target> ResolveTarget(const std::string& target);

}  // namespace lro::cli
