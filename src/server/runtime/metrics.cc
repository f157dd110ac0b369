#include "runtime/metrics.h"

#include <cstdio>

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

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  char number[64];
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{";
    if (!labels.empty()) {
      out += labels;
      out += ',';
    }
    if (i < kBounds.size()) {
      std::snprintf(number, sizeof number, "le=\"%g\"} ", kBounds[i]);
    } else {
      std::snprintf(number, sizeof number, "le=\"+Inf\"} ");
    }
    out += number;
    out += std::to_string(cumulative);
    out += '\n';
  }
  // Appended, not `"{" + std::string(…)`: g++ 12 -O3 -Wrestrict false positive (GCC 105651).
  std::string suffix;
  if (!labels.empty()) suffix.append("{").append(labels).append("}");
  std::snprintf(number, sizeof number, " %.9f\n",
                static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += name;
  out += "_sum";
  out += suffix;
  out += number;
  out += name;
  out += "_count";
  out += suffix;
  out += ' ';
  out += std::to_string(count_.load(std::memory_order_relaxed));
  out += '\n';
}

void AppendMetricHeader(std::string& out, std::string_view name, std::string_view type,
                        std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace lro::server::internal
