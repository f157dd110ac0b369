#include "runtime/throttle.h"

#include <algorithm>
#include <cmath>

namespace lro::server::internal {

Throttle::Throttle(double rate, double burst)
    : rate_(rate), burst_(burst > 0 ? burst : std::max(1.0, rate)) {}

std::optional<int> Throttle::Take(std::string_view caller, MonotonicTime now) {
  if (rate_ <= 0) return std::nullopt;
  MutexLock lock(mutex_);
  auto it = buckets_.find(std::string(caller));
  if (it == buckets_.end()) {
    // Callers come from the token file (or are one anonymous principal): bounded.
    it = buckets_.emplace(std::string(caller), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - bucket.tokens) / rate_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

}  // namespace lro::server::internal
