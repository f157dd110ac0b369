#include "client/policies/delay.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "wire/ascii.h"
#include "wire/http_date.h"

namespace lro::internal {
namespace {

using std::chrono::system_clock;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A non-negative integer made only of digits, saturating at `limit` instead of overflowing.
std::optional<std::uint64_t> ParseCount(std::string_view text, std::uint64_t limit) {
  text = Trim(text);
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value < limit) value = std::min<std::uint64_t>(limit, value * 10 + (c - '0'));
  }
  return value;
}

}  // namespace

std::optional<milliseconds> ParseServerDelay(const Headers& headers,
                                             system_clock::time_point wall_now, milliseconds cap) {
  const auto limit = static_cast<std::uint64_t>(std::max<milliseconds::rep>(cap.count(), 0));
  // The first of each header, in one pass over them (this runs on every poll).
  std::optional<std::string_view> retry_after_ms;
  std::optional<std::string_view> x_ms_retry_after_ms;
  std::optional<std::string_view> value;  // Retry-After
  for (const Header& header : headers) {
    const std::string_view name = header.name;
    if (!value && wire::EqualsIgnoreCase(name, "Retry-After")) {
      value = header.value;
    } else if (!retry_after_ms && wire::EqualsIgnoreCase(name, "retry-after-ms")) {
      retry_after_ms = header.value;
    } else if (!x_ms_retry_after_ms && wire::EqualsIgnoreCase(name, "x-ms-retry-after-ms")) {
      x_ms_retry_after_ms = header.value;
    }
  }
  for (const auto& milliseconds_value : {retry_after_ms, x_ms_retry_after_ms}) {
    if (!milliseconds_value) continue;
    if (auto ms = ParseCount(*milliseconds_value, limit)) {
      return milliseconds(static_cast<milliseconds::rep>(*ms));
    }
  }
  if (!value) return std::nullopt;
  if (auto secs = ParseCount(*value, limit / 1000 + 1)) {
    const std::uint64_t ms = std::min<std::uint64_t>(*secs * 1000, limit);
    return milliseconds(static_cast<milliseconds::rep>(ms));
  }
  if (auto date = wire::ParseHttpDateSeconds(*value)) {
    const auto now = std::chrono::floor<std::chrono::seconds>(wall_now);
    if (*date <= now) return milliseconds(0);
    const std::chrono::seconds delta = *date - now;  // at most ~10,000 years: no overflow
    if (delta >= std::chrono::duration_cast<std::chrono::seconds>(cap)) return cap;
    return std::chrono::duration_cast<milliseconds>(delta);
  }
  return std::nullopt;
}

Backoff::Backoff(milliseconds initial, double multiplier, milliseconds max, double jitter,
                 std::uint64_t seed)
    : initial_(std::max(initial, milliseconds(0))),
      multiplier_(std::isfinite(multiplier) && multiplier >= 1.0 ? multiplier : 1.0),
      max_(std::max(max, milliseconds(0))),
      jitter_(std::isfinite(jitter) ? std::clamp(jitter, 0.0, 1.0) : 0.0),
      random_state_(seed) {}

milliseconds Backoff::Next() {
  ++attempt_;
  // Computed in double and clamped before converting back, so no attempt count overflows.
  double delay = static_cast<double>(initial_.count()) *
                 std::pow(multiplier_, static_cast<double>(std::min(attempt_ - 1, 1000)));
  const auto cap = static_cast<double>(max_.count());
  if (!std::isfinite(delay) || delay > cap) delay = cap;
  if (jitter_ > 0.0) {
    random_state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = random_state_;
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    z ^= z >> 31U;
    const double unit = static_cast<double>(z >> 11U) * 0x1.0p-53;  // [0, 1)
    delay = std::min(delay * (1.0 - jitter_ + 2.0 * jitter_ * unit), cap);
  }
  return milliseconds(static_cast<milliseconds::rep>(std::llround(delay)));
}

}  // namespace lro::internal
