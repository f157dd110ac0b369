#include "wire/http_date.h"

#include <array>
#include <cstdio>
#include <vector>

namespace lro::wire {
namespace {

using std::chrono::system_clock;

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// 1970-01-01 was a Thursday.
constexpr std::array<std::string_view, 7> kDays{"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int MonthIndex(std::string_view name) {
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

// "Sun, 06 Nov 1994 08:49:37 GMT", the text after the comma split at blanks.
std::optional<std::chrono::sys_seconds> ParseImfFixdateParts(
    const std::vector<std::string_view>& parts) {
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  if (parts.size() != 5 || parts[4] != "GMT" || parts[0].size() != 2 || !Digits(parts[0], day) ||
      parts[2].size() != 4 || !Digits(parts[2], year) || !ParseClock(parts[3], h, m, s)) {
    return std::nullopt;
  }
  const int month = MonthIndex(parts[1]);
  if (month == 0) return std::nullopt;
  return Build(year, month, day, h, m, s);
}

}  // namespace

std::string ImfFixdate(system_clock::time_point when) {
  using namespace std::chrono;
  const auto days = floor<std::chrono::days>(when);
  const year_month_day date{days};
  const hh_mm_ss time{floor<seconds>(when - days)};
  const auto weekday = static_cast<std::size_t>(days.time_since_epoch().count() % 7 + 7) % 7;
  char buffer[64];
  std::snprintf(
      buffer, sizeof buffer, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT", kDays[weekday].data(),
      static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1].data(),
      static_cast<int>(date.year()), static_cast<long>(time.hours().count()),
      static_cast<long>(time.minutes().count()), static_cast<long>(time.seconds().count()));
  return buffer;
}

std::optional<std::chrono::sys_seconds> ParseImfFixdate(std::string_view text) {
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ') return std::nullopt;
  return ParseImfFixdateParts(Split(text.substr(5), ' '));
}

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

std::optional<std::chrono::sys_seconds> ParseHttpDateSeconds(std::string_view text) {
  text = Trim(text);
  if (text.size() > 64) return std::nullopt;
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  const auto comma = text.find(',');
  if (comma != std::string_view::npos) {
    const auto parts = Split(text.substr(comma + 1), ' ');
    if (parts.size() == 5 && parts[4] == "GMT") return ParseImfFixdateParts(parts);
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

}  // namespace lro::wire
