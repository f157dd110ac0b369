#include "common/time_text.h"

namespace lro::server::internal {
namespace {

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

}  // namespace lro::server::internal
