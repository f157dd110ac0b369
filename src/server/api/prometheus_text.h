// The Prometheus text format (0.0.4) of /metrics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/metrics.h"

namespace lro::server::internal {

// Appends the "# HELP" and "# TYPE" lines of a metric.
void AppendMetricHeader(std::string& out, std::string_view name, std::string_view type,
                        std::string_view help);

// Appends a metric without labels: its header and `name value`.
void AppendSample(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help, std::int64_t value);

// Appends the _bucket/_sum/_count lines of `name` with `labels` ("" or `k="v"`).
void AppendHistogram(std::string& out, std::string_view name, std::string_view labels,
                     const Histogram& histogram);

}  // namespace lro::server::internal
