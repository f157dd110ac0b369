#include "lro/operation_state.h"

#include <array>
#include <charconv>
#include <chrono>
#include <string_view>

#include "wire/ascii.h"
#include "wire/status_names.h"

namespace lro {
namespace {

struct KnownStatus {
  std::string_view name;
  StatusKind kind;
};

constexpr std::array<KnownStatus, 16> kKnownStatuses{{
    {wire::kStatusSucceeded, StatusKind::kSucceeded},
    {"Completed", StatusKind::kSucceeded},
    {wire::kStatusFailed, StatusKind::kFailed},
    {"Undefined", StatusKind::kFailed},
    {wire::kStatusCanceled, StatusKind::kCanceled},
    {"Cancelled", StatusKind::kCanceled},
    {wire::kStatusNotStarted, StatusKind::kRunning},
    {wire::kStatusRunning, StatusKind::kRunning},
    {"InProgress", StatusKind::kRunning},
    {"Accepted", StatusKind::kRunning},
    {"Started", StatusKind::kRunning},
    {"Creating", StatusKind::kRunning},
    {"Updating", StatusKind::kRunning},
    {"Deleting", StatusKind::kRunning},
    {"Canceling", StatusKind::kRunning},
    {"Cancelling", StatusKind::kRunning},
}};

// Reads exactly `width` digits at text[pos].
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

LroStatus ClassifyStatus(std::string_view raw) {
  for (const auto& known : kKnownStatuses) {
    if (wire::EqualsIgnoreCase(raw, known.name)) {
      return LroStatus{known.kind, std::string(raw), true};
    }
  }
  return LroStatus{StatusKind::kRunning, std::string(raw), false};
}

const char* StatusKindName(StatusKind kind) {
  switch (kind) {
    case StatusKind::kRunning:
      return wire::kStatusRunning;
    case StatusKind::kSucceeded:
      return wire::kStatusSucceeded;
    case StatusKind::kFailed:
      return wire::kStatusFailed;
    case StatusKind::kCanceled:
      return wire::kStatusCanceled;
  }
  return wire::kStatusRunning;
}

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]; 't', 'z' and a space separator accepted.
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !ReadDigits(text, 11, 2, hour) ||
      text[13] != ':' || !ReadDigits(text, 14, 2, minute) || text[16] != ':' ||
      !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;

  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    std::int64_t nanos = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
    fraction = nanoseconds{nanos};
  }
  minutes offset{0};
  if (pos < text.size()) {
    const char zone = text[pos];
    if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
      // UTC
    } else if ((zone == '+' || zone == '-') && pos + 6 == text.size() && text[pos + 3] == ':') {
      int off_hours = 0, off_minutes = 0;
      if (!ReadDigits(text, pos + 1, 2, off_hours) || !ReadDigits(text, pos + 4, 2, off_minutes) ||
          off_hours > 23 || off_minutes > 59) {
        return std::nullopt;
      }
      offset = hours{off_hours} + minutes{off_minutes};
      if (zone == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  // No zone at all: the live Fabric service sends UTC without the 'Z'.
  const auto since_epoch =
      sys_days{date}.time_since_epoch() + hours{hour} + minutes{minute} + seconds{second} - offset;
  // A time_point counts nanoseconds in 64 bits: years before 1678 or after 2261 do not fit
  // (converting them overflowed, undefined behaviour).
  constexpr auto kLimit = duration_cast<seconds>(Timestamp::duration::max()) - seconds{1};
  if (since_epoch > kLimit || since_epoch < -kLimit) return std::nullopt;
  return Timestamp{duration_cast<Timestamp::duration>(since_epoch + fraction)};
}

}  // namespace lro
