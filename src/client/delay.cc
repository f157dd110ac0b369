#include "client/delay.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>

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

int MonthIndex(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (name == kMonths[i]) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool Digits(std::string_view text, int& out) {
  if (text.empty() || text.size() > 4) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

bool ParseClock(std::string_view text, int& h, int& m, int& s) {
  return text.size() == 8 && text[2] == ':' && text[5] == ':' && Digits(text.substr(0, 2), h) &&
         Digits(text.substr(3, 2), m) && Digits(text.substr(6, 2), s) && h < 24 && m < 60 && s < 61;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const auto pos = text.find(separator);
    if (pos != 0) parts.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) break;
    text.remove_prefix(pos + 1);
  }
  return parts;
}

// Seconds since the epoch: a date as far as year 9999 fits, where system_clock's
// nanosecond time_point would overflow past 2262.
std::optional<std::chrono::sys_seconds> Build(int year, int month, int day, int h, int m, int s) {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return sys_seconds{sys_days{date}} + hours{h} + minutes{m} + seconds{s};
}

std::optional<std::chrono::sys_seconds> ParseHttpDateSeconds(std::string_view text);

}  // namespace

std::optional<system_clock::time_point> ParseHttpDate(std::string_view text) {
  const auto seconds = ParseHttpDateSeconds(text);
  if (!seconds) return std::nullopt;
  // system_clock counts nanoseconds: it spans only the years 1678 to 2262. Dates outside (an
  // HTTP-date may name any year from 0 to 9999) are pinned to its ends.
  const auto latest =
      std::chrono::floor<std::chrono::seconds>(system_clock::time_point::max()).time_since_epoch();
  const auto earliest =
      std::chrono::ceil<std::chrono::seconds>(system_clock::time_point::min()).time_since_epoch();
  if (seconds->time_since_epoch() >= latest) return system_clock::time_point::max();
  if (seconds->time_since_epoch() <= earliest) return system_clock::time_point::min();
  return system_clock::time_point{seconds->time_since_epoch()};
}

namespace {

std::optional<std::chrono::sys_seconds> ParseHttpDateSeconds(std::string_view text) {
  text = Trim(text);
  if (text.size() > 64) return std::nullopt;
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  const auto comma = text.find(',');
  if (comma != std::string_view::npos) {
    const auto parts = Split(text.substr(comma + 1), ' ');
    if (parts.size() == 5 && parts[4] == "GMT") {
      // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
      if (parts[0].size() != 2 || !Digits(parts[0], day) || parts[2].size() != 4 ||
          !Digits(parts[2], year) || !ParseClock(parts[3], h, m, s)) {
        return std::nullopt;
      }
      const int month = MonthIndex(parts[1]);
      if (month == 0) return std::nullopt;
      return Build(year, month, day, h, m, s);
    }
    if (parts.size() == 3 && parts[2] == "GMT") {
      // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
      const auto date = Split(parts[0], '-');
      if (date.size() != 3 || date[0].size() != 2 || !Digits(date[0], day) || date[2].size() != 2 ||
          !Digits(date[2], year) || !ParseClock(parts[1], h, m, s)) {
        return std::nullopt;
      }
      const int month = MonthIndex(date[1]);
      if (month == 0) return std::nullopt;
      // Two-digit years: RFC 9110 says pick the most recent past century that is not more
      // than 50 years ahead; for the dates servers send, 19xx/20xx by a 70 pivot suffices.
      year += year < 70 ? 2000 : 1900;
      return Build(year, month, day, h, m, s);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  const auto parts = Split(text, ' ');
  if (parts.size() != 5 || parts[0].size() != 3 || !Digits(parts[2], day) || parts[2].size() > 2 ||
      !ParseClock(parts[3], h, m, s) || parts[4].size() != 4 || !Digits(parts[4], year)) {
    return std::nullopt;
  }
  const int month = MonthIndex(parts[1]);
  if (month == 0) return std::nullopt;
  return Build(year, month, day, h, m, s);
}

}  // namespace

std::optional<milliseconds> ParseServerDelay(const Headers& headers,
                                             system_clock::time_point wall_now, milliseconds cap) {
  const auto limit = static_cast<std::uint64_t>(std::max<milliseconds::rep>(cap.count(), 0));
  for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (auto value = FindHeader(headers, name)) {
      if (auto ms = ParseCount(*value, limit))
        return milliseconds(static_cast<milliseconds::rep>(*ms));
    }
  }
  const auto value = FindHeader(headers, "Retry-After");
  if (!value) return std::nullopt;
  if (auto secs = ParseCount(*value, limit / 1000 + 1)) {
    const std::uint64_t ms = std::min<std::uint64_t>(*secs * 1000, limit);
    return milliseconds(static_cast<milliseconds::rep>(ms));
  }
  if (auto date = ParseHttpDateSeconds(*value)) {
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
