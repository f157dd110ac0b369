#include "common/time_text.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace lro::server::internal {
namespace {

constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// 1970-01-01 was a Thursday.
constexpr std::array<const char*, 7> kDays{"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

struct Civil {
  int year;
  unsigned month;
  unsigned day;
  int hour;
  int minute;
  int second;
  int millis;
  std::int64_t days;
};

Civil Split(std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(unix_ms)};
  const auto day_point = floor<days>(time);
  const year_month_day date{day_point};
  const auto in_day = time - day_point;
  const auto ms = in_day.count();
  return Civil{static_cast<int>(date.year()),      static_cast<unsigned>(date.month()),
               static_cast<unsigned>(date.day()),  static_cast<int>(ms / 3'600'000),
               static_cast<int>(ms / 60'000 % 60), static_cast<int>(ms / 1000 % 60),
               static_cast<int>(ms % 1000),        day_point.time_since_epoch().count()};
}

void AppendDigits(std::string& out, int value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

bool ParseInt(std::string_view text, int& value) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::int64_t ToUnixMs(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

void AppendIso8601(std::string& out, std::int64_t unix_ms) {
  const Civil c = Split(unix_ms);
  AppendDigits(out, c.year, 4);
  out.push_back('-');
  AppendDigits(out, static_cast<int>(c.month), 2);
  out.push_back('-');
  AppendDigits(out, static_cast<int>(c.day), 2);
  out.push_back('T');
  AppendDigits(out, c.hour, 2);
  out.push_back(':');
  AppendDigits(out, c.minute, 2);
  out.push_back(':');
  AppendDigits(out, c.second, 2);
  out.push_back('.');
  AppendDigits(out, c.millis, 3);
  out.push_back('Z');
}

std::string Iso8601(std::int64_t unix_ms) {
  std::string out;
  AppendIso8601(out, unix_ms);
  return out;
}

std::string ImfFixdate(std::int64_t unix_ms) {
  const Civil c = Split(unix_ms);
  const auto weekday = static_cast<std::size_t>((c.days % 7 + 7) % 7);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[weekday], c.day,
                kMonths[c.month - 1], c.year, c.hour, c.minute, c.second);
  return buffer;
}

std::optional<std::int64_t> ParseImfFixdate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  int day = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ParseInt(text.substr(5, 2), day) || !ParseInt(text.substr(12, 4), year) ||
      !ParseInt(text.substr(17, 2), hour) || !ParseInt(text.substr(20, 2), minute) ||
      !ParseInt(text.substr(23, 2), second)) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(month),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  const auto midnight = sys_days(date);
  return duration_cast<milliseconds>(midnight.time_since_epoch()).count() +
         (static_cast<std::int64_t>(hour) * 3600 + minute * 60 + second) * 1000;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  const std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds(value * scale);
}

}  // namespace lro::server::internal
