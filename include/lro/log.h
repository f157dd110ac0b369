// The logging hook. lro is silent unless the application sets one.
#pragma once

#include <functional>
#include <string_view>

namespace lro {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warning" or "error": the level as log lines and flags spell it.
constexpr std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// Receives one line per event. Requests, responses, delays and state changes are kDebug;
// an unknown status is kInfo; retried failures are kWarning. No credential ever reaches it.
// May be called from any thread that drives an operation; must be thread-safe.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace lro
