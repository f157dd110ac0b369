#include "runtime/metrics.h"

namespace lro::server::internal {

void Histogram::Observe(std::chrono::nanoseconds value) {
  Observe(std::chrono::duration<double>(value).count());
}

void Histogram::Observe(double seconds) {
  std::size_t bucket = 0;
  while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double ns = seconds * 1e9;
  sum_ns_.fetch_add(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, std::memory_order_relaxed);
}

Histogram::Counts Histogram::Read() const {
  Counts counts;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    counts.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  counts.count = count_.load(std::memory_order_relaxed);
  counts.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return counts;
}

}  // namespace lro::server::internal
