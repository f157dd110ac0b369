// Structured logs: one JSON object per line.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "lro/clock.h"
#include "lro/log.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

class Logger {
 public:
  using Field = std::pair<std::string_view, std::string_view>;

  // Null sink = stderr; the time of each line is `clock`'s (null: the system clock).
  Logger(LogLevel level, std::function<void(std::string_view)> sink,
         std::shared_ptr<Clock> clock = nullptr);

  [[nodiscard]] bool Enabled(LogLevel level) const { return level >= level_; }
  // {"time":"…","level":"info","msg":"…","key":"value",…}
  void Log(LogLevel level, std::string_view message, std::initializer_list<Field> fields = {});

 private:
  LogLevel level_;
  std::function<void(std::string_view)> sink_;
  std::shared_ptr<Clock> clock_;
  Mutex mutex_;  // one line at a time into sink_
};

}  // namespace lro::server::internal
