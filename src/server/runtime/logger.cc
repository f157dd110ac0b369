#include "runtime/logger.h"

#include <chrono>
#include <cstdio>

#include "common/json_text.h"
#include "common/time_text.h"

namespace lro::server::internal {

Logger::Logger(LogLevel level, std::function<void(std::string_view)> sink,
               std::shared_ptr<Clock> clock)
    : level_(level), sink_(std::move(sink)), clock_(clock ? std::move(clock) : SystemClock()) {}

void Logger::Log(LogLevel level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128);
  line += "{\"time\":\"";
  AppendIso8601(line, ToUnixMs(clock_->WallNow()));
  line += "\",\"level\":\"";
  line += LogLevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, message);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(line, key);
    line.push_back(':');
    AppendJsonString(line, value);
  }
  line += "}";
  MutexLock lock(mutex_);
  if (sink_) {
    sink_(line);
  } else {
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace lro::server::internal
