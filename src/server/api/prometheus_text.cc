#include "api/prometheus_text.h"

#include <cstdio>

namespace lro::server::internal {

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

void AppendSample(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help, std::int64_t value) {
  AppendMetricHeader(out, name, type, help);
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void AppendHistogram(std::string& out, std::string_view name, std::string_view labels,
                     const Histogram& histogram) {
  const Histogram::Counts counts = histogram.Read();
  char number[64];
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.buckets.size(); ++i) {
    cumulative += counts.buckets[i];
    out += name;
    out += "_bucket{";
    if (!labels.empty()) {
      out += labels;
      out += ',';
    }
    if (i < Histogram::kBounds.size()) {
      std::snprintf(number, sizeof number, "le=\"%g\"} ", Histogram::kBounds[i]);
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
  std::snprintf(number, sizeof number, " %.9f\n", counts.sum_seconds);
  out += name;
  out += "_sum";
  out += suffix;
  out += number;
  out += name;
  out += "_count";
  out += suffix;
  out += ' ';
  out += std::to_string(counts.count);
  out += '\n';
}

}  // namespace lro::server::internal
