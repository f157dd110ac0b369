// Counters and histograms behind /metrics. Their text form (Prometheus) is the API layer's:
// api/prometheus_text.h.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace lro::server::internal {

// Lock-free: Observe from any thread.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  void Observe(std::chrono::nanoseconds value);
  void Observe(double seconds);

  struct Counts {
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};  // not cumulative; last is +Inf
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  [[nodiscard]] Counts Read() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// The kinds of request /metrics breaks latencies down by.
enum class Endpoint : int { kState, kResult, kCreate, kCancel, kList, kHandler, kOther, kCount };

struct Metrics {
  std::array<std::atomic<std::uint64_t>, 600> responses_by_status{};
  std::array<Histogram, static_cast<std::size_t>(Endpoint::kCount)> latency;
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> operations_created{0};
  std::atomic<std::uint64_t> operations_answered_inline{0};
  std::atomic<std::uint64_t> operations_recovered_rerun{0};
  std::atomic<std::uint64_t> operations_recovered_failed{0};
  std::atomic<std::uint64_t> operations_purged{0};
  std::array<std::atomic<std::uint64_t>, 5> operations_finished{};  // by OperationStatus
  Histogram operation_duration;
  Histogram commit_latency;
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> commit_failures{0};
  std::atomic<std::uint64_t> committed_writes{0};

  void CountResponse(int status) {
    if (status >= 100 && status < 600) {
      responses_by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
    }
  }
};

}  // namespace lro::server::internal
