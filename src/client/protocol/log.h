// Logging inside the library: one place that checks the level and formats. Internal.
#pragma once

#include <string>

#include "lro/log.h"

namespace lro::internal {

class Logger {
 public:
  Logger() = default;
  Logger(LogSink sink, LogLevel min_level) : sink_(std::move(sink)), min_level_(min_level) {}
  [[nodiscard]] bool enabled(LogLevel level) const { return sink_ && level >= min_level_; }
  void Log(LogLevel level, const std::string& message) const {
    if (enabled(level)) sink_(level, message);
  }
  // Builds the message only when it will be logged: hot paths log at kDebug.
  template <typename MakeMessage>
  void LogLazily(LogLevel level, MakeMessage&& make_message) const {
    if (enabled(level)) sink_(level, make_message());
  }

 private:
  LogSink sink_;
  LogLevel min_level_ = LogLevel::kDebug;
};

}  // namespace lro::internal
