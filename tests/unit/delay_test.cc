// The delay policy's parsers and backoff (SPEC §4), tested directly.
#include "client/policies/delay.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "scenario.h"
#include "wire/http_date.h"

namespace lro::internal {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)
using std::chrono::milliseconds;
using wire::ParseHttpDate;

system_clock::time_point At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const system_clock::time_point kWallNow = At(2024, 1, 1, 0, 0, 0);  // a Monday
constexpr milliseconds kCap{3'600'000};

struct DelayRow {
  std::string name;
  Headers headers;
  std::optional<milliseconds> expected;
  milliseconds cap = kCap;
};
void PrintTo(const DelayRow& row, std::ostream* os) { *os << row.name; }

class ParseServerDelayTest : public ::testing::TestWithParam<DelayRow> {};

TEST_P(ParseServerDelayTest, Parses) {
  const DelayRow& row = GetParam();
  std::optional<milliseconds> got = ParseServerDelay(row.headers, kWallNow, row.cap);
  if (row.expected) {
    ASSERT_TRUE(got.has_value()) << "expected " << row.expected->count() << "ms";
    EXPECT_EQ(got->count(), row.expected->count());
  } else {
    EXPECT_FALSE(got.has_value()) << "got " << got->count() << "ms";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Spec4, ParseServerDelayTest,
    ::testing::Values(
        DelayRow{"NoHeaders", {}, std::nullopt},
        DelayRow{"Seconds5", {{"Retry-After", "5"}}, milliseconds{5000}},
        DelayRow{"Seconds0", {{"Retry-After", "0"}}, milliseconds{0}},
        DelayRow{"Seconds120", {{"Retry-After", "120"}}, milliseconds{120'000}},
        DelayRow{"LowercaseName", {{"retry-after", "3"}}, milliseconds{3000}},
        DelayRow{
            "ImfFixdate", {{"Retry-After", "Mon, 01 Jan 2024 00:00:07 GMT"}}, milliseconds{7000}},
        DelayRow{"Rfc850", {{"Retry-After", "Monday, 01-Jan-24 00:00:09 GMT"}}, milliseconds{9000}},
        DelayRow{"Asctime", {{"Retry-After", "Mon Jan  1 00:00:11 2024"}}, milliseconds{11000}},
        DelayRow{
            "DateNowIsZero", {{"Retry-After", "Mon, 01 Jan 2024 00:00:00 GMT"}}, milliseconds{0}},
        DelayRow{"DateInPastIsZero",
                 {{"Retry-After", "Sun, 31 Dec 2023 23:59:00 GMT"}},
                 milliseconds{0}},
        DelayRow{"DateLongAgoIsZero",
                 {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}},
                 milliseconds{0}},
        DelayRow{"DateFarFutureIsCapped", {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}}, kCap},
        DelayRow{"Fraction", {{"Retry-After", "1.5"}}, std::nullopt},
        DelayRow{"Negative", {{"Retry-After", "-3"}}, std::nullopt},
        DelayRow{"Word", {{"Retry-After", "abc"}}, std::nullopt},
        DelayRow{"Empty", {{"Retry-After", ""}}, std::nullopt},
        DelayRow{"Blank", {{"Retry-After", "   "}}, std::nullopt},
        DelayRow{"TrailingJunk", {{"Retry-After", "5s"}}, std::nullopt},
        DelayRow{"HexLike", {{"Retry-After", "0x10"}}, std::nullopt},
        DelayRow{"HugeIsCapped", {{"Retry-After", "99999999999"}}, kCap},
        DelayRow{"TwoToThe64IsCapped", {{"Retry-After", "18446744073709551616"}}, kCap},
        DelayRow{"FortyDigitsIsCapped",
                 {{"Retry-After", "9999999999999999999999999999999999999999"}},
                 kCap},
        DelayRow{
            "SmallCapApplies", {{"Retry-After", "10"}}, milliseconds{2000}, milliseconds{2000}},
        DelayRow{"RetryAfterMs", {{"retry-after-ms", "250"}}, milliseconds{250}},
        DelayRow{"XMsRetryAfterMs", {{"x-ms-retry-after-ms", "300"}}, milliseconds{300}},
        DelayRow{"RetryAfterMsPreferred",
                 {{"Retry-After", "5"}, {"retry-after-ms", "250"}},
                 milliseconds{250}},
        DelayRow{"XMsRetryAfterMsPreferred",
                 {{"Retry-After", "5"}, {"x-ms-retry-after-ms", "300"}},
                 milliseconds{300}},
        DelayRow{"RetryAfterMsMixedCase", {{"Retry-After-Ms", "40"}}, milliseconds{40}},
        DelayRow{"RetryAfterMsZero", {{"retry-after-ms", "0"}}, milliseconds{0}},
        DelayRow{"RetryAfterMsHugeIsCapped", {{"retry-after-ms", "99999999999999"}}, kCap}),
    lro::test::ScenarioName());

TEST(ParseHttpDateTest, AllThreeFormsOfTheRfcExample) {
  const auto expected = At(1994, 11, 6, 8, 49, 37);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), expected);
}

TEST(ParseHttpDateTest, FormsIn2024) {
  EXPECT_EQ(ParseHttpDate("Mon, 01 Jan 2024 00:00:07 GMT"), At(2024, 1, 1, 0, 0, 7));
  EXPECT_EQ(ParseHttpDate("Monday, 01-Jan-24 00:00:09 GMT"), At(2024, 1, 1, 0, 0, 9));
  EXPECT_EQ(ParseHttpDate("Mon Jan  1 00:00:11 2024"), At(2024, 1, 1, 0, 0, 11));
  EXPECT_EQ(ParseHttpDate("Thu, 29 Feb 2024 23:59:59 GMT"), At(2024, 2, 29, 23, 59, 59));
  // Beyond what system_clock can hold (1678 to 2262): pinned to its ends, no overflow.
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 0997"),
            std::chrono::system_clock::time_point::min());
  EXPECT_EQ(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"),
            std::chrono::system_clock::time_point::max());
}

class ParseHttpDateJunkTest : public ::testing::TestWithParam<std::string> {};
TEST_P(ParseHttpDateJunkTest, IsNullopt) {
  EXPECT_FALSE(ParseHttpDate(GetParam()).has_value()) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(Junk, ParseHttpDateJunkTest,
                         ::testing::Values("", "garbage", "5", "Mon, 32 Jan 2024 00:00:00 GMT",
                                           "Mon, 01 Foo 2024 00:00:00 GMT",
                                           "Mon, 01 Jan 2024 25:00:00 GMT",
                                           "Mon, 01 Jan 2024 00:61:00 GMT", "Mon, 01 Jan 2024",
                                           "2024-01-01T00:00:00Z", "Mon Jan 1"));

// --- Backoff -------------------------------------------------------------------------------

std::vector<milliseconds> Draw(Backoff& b, int n) {
  std::vector<milliseconds> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(b.Next());
  return out;
}

TEST(BackoffTest, ExponentialWithCapWithoutJitter) {
  Backoff b(milliseconds{100}, 2.0, milliseconds{1000}, 0.0, 1);
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(Draw(b, 6),
            (std::vector<milliseconds>{milliseconds{100}, milliseconds{200}, milliseconds{400},
                                       milliseconds{800}, milliseconds{1000}, milliseconds{1000}}));
  EXPECT_EQ(b.attempts(), 6);
}

TEST(BackoffTest, DefaultPollingShape) {
  Backoff b(milliseconds{1000}, 1.5, milliseconds{30'000}, 0.0, 1);
  EXPECT_EQ(Draw(b, 3), (std::vector<milliseconds>{milliseconds{1000}, milliseconds{1500},
                                                   milliseconds{2250}}));
}

TEST(BackoffTest, MultiplierOneIsFixed) {
  Backoff b(milliseconds{250}, 1.0, milliseconds{250}, 0.0, 7);
  for (milliseconds d : Draw(b, 10)) EXPECT_EQ(d, milliseconds{250});
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff b(milliseconds{100}, 2.0, milliseconds{1000}, 0.0, 1);
  Draw(b, 3);
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.Next(), milliseconds{100});
}

TEST(BackoffTest, JitterStaysInBandAndUnderCap) {
  Backoff b(milliseconds{1000}, 2.0, milliseconds{5000}, 0.2, 42);
  double base = 1000;
  for (int i = 0; i < 12; ++i) {
    milliseconds d = b.Next();
    double nominal = std::min(base, 5000.0);
    EXPECT_GE(static_cast<double>(d.count()), nominal * 0.8 - 1) << "attempt " << i + 1;
    EXPECT_LE(static_cast<double>(d.count()), nominal * 1.2 + 1) << "attempt " << i + 1;
    EXPECT_LE(d, milliseconds{5000}) << "jitter must not exceed the cap";
    base *= 2;
  }
}

TEST(BackoffTest, DeterministicForASeed) {
  Backoff a(milliseconds{1000}, 1.5, milliseconds{30'000}, 0.2, 99);
  Backoff b(milliseconds{1000}, 1.5, milliseconds{30'000}, 0.2, 99);
  EXPECT_EQ(Draw(a, 20), Draw(b, 20));
  Backoff c(milliseconds{1000}, 1.5, milliseconds{30'000}, 0.2, 100);
  Backoff d(milliseconds{1000}, 1.5, milliseconds{30'000}, 0.2, 99);
  EXPECT_NE(Draw(c, 20), Draw(d, 20)) << "different seeds should give different jitter";
}

TEST(BackoffTest, ManyAttemptsNeverOverflow) {
  Backoff b(milliseconds{500}, 2.0, milliseconds{30'000}, 0.0, 1);
  milliseconds last{};
  for (int i = 0; i < 2000; ++i) last = b.Next();
  EXPECT_EQ(last, milliseconds{30'000});
  Backoff huge(milliseconds{500}, 1e300, milliseconds{30'000}, 0.2, 1);
  for (int i = 0; i < 50; ++i) {
    milliseconds d = huge.Next();
    EXPECT_GE(d, milliseconds{0});
    EXPECT_LE(d, milliseconds{30'000});
  }
}

}  // namespace
}  // namespace lro::internal
