// The logging hook. lro is silent unless the application sets one.
#pragma once

#include <functional>
#include <string_view>

namespace lro {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Receives one line per event. Requests, responses, delays and state changes are kDebug;
// an unknown status is kInfo; retried failures are kWarning. No credential ever reaches it.
// May be called from any thread that drives an operation; must be thread-safe.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace lro
