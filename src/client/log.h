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

 private:
  LogSink sink_;
  LogLevel min_level_ = LogLevel::kDebug;
};

}  // namespace lro::internal
