// Per-caller token buckets, decided in memory (never touching the store).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lro/clock.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

class Throttle {
 public:
  // `rate` tokens per second, at most `burst` saved. rate <= 0 disables throttling.
  Throttle(double rate, double burst);

  [[nodiscard]] bool enabled() const { return rate_ > 0; }
  // Takes a token for `caller`. nullopt = allowed; else whole seconds (≥ 1) until a token.
  std::optional<int> Take(std::string_view caller, MonotonicTime now);

 private:
  struct Bucket {
    double tokens;
    MonotonicTime updated;
  };
  double rate_;
  double burst_;
  Mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_ LRO_GUARDED_BY(mutex_);
};

}  // namespace lro::server::internal
